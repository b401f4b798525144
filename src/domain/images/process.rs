//! The pixels: what an upload is (judged by its bytes, decoded with limits), and the
//! resized variants of it. CPU-bound and blocking; callers run it off the async runtime.

use std::io::Cursor;

use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer, images::Image};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// Images over this many pixels are refused before they are decoded.
pub const MAX_PIXELS: u64 = 40_000_000;
/// The most a decode may allocate: a 40 MP image with 16-bit RGBA channels, and some.
const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;

/// The accepted kinds of image, decided by magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Png,
    Jpeg,
    WebP,
    Gif,
}

impl Kind {
    /// Sniffs the leading bytes; None for anything that is not one of the four.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Self::Gif)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::WebP)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::WebP => "image/webp",
            Self::Gif => "image/gif",
        }
    }

    pub fn from_content_type(content_type: &str) -> Option<Self> {
        [Self::Png, Self::Jpeg, Self::WebP, Self::Gif]
            .into_iter()
            .find(|kind| kind.content_type() == content_type)
    }

    fn format(self) -> ImageFormat {
        match self {
            Self::Png => ImageFormat::Png,
            Self::Jpeg => ImageFormat::Jpeg,
            Self::WebP => ImageFormat::WebP,
            Self::Gif => ImageFormat::Gif,
        }
    }
}

/// Why an upload is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("The file is empty.")]
    Empty,
    #[error("The file is not a PNG, JPEG, WebP or GIF image.")]
    Unsupported,
    #[error("The image is {width}x{height} pixels; at most {MAX_PIXELS} pixels are accepted.")]
    TooManyPixels { width: u32, height: u32 },
    #[error("The image cannot be decoded: {0}.")]
    Undecodable(String),
}

/// What an accepted upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub kind: Kind,
    pub width: u32,
    pub height: u32,
}

fn reader(bytes: &[u8], kind: Kind) -> ImageReader<Cursor<&[u8]>> {
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind.format());
    reader.limits(limits);
    reader
}

/// Checks an upload: its kind by content, its declared size, then a whole decode (so a
/// truncated or corrupt file is refused now rather than failing its job later).
pub fn probe(bytes: &[u8]) -> Result<Probe, Rejection> {
    if bytes.is_empty() {
        return Err(Rejection::Empty);
    }
    let kind = Kind::sniff(bytes).ok_or(Rejection::Unsupported)?;
    let (width, height) = reader(bytes, kind)
        .into_dimensions()
        .map_err(|e| Rejection::Undecodable(e.to_string()))?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Rejection::TooManyPixels { width, height });
    }
    if kind == Kind::Jpeg && !jpeg_is_complete(bytes) {
        return Err(Rejection::Undecodable(
            "the JPEG data ends before its end-of-image marker".to_string(),
        ));
    }
    decode(bytes, kind).map_err(Rejection::Undecodable)?;
    Ok(Probe {
        kind,
        width,
        height,
    })
}

/// Whether an end-of-image marker follows the last scan. The JPEG decoder fills in
/// what a truncated file lacks, so a cut-off upload must be caught here. Inside scan
/// data a 0xFF byte is always escaped, so `FF D9` there is the real marker.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let Some(last_scan) = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]) else {
        return false;
    };
    bytes[last_scan..].windows(2).any(|w| w == [0xFF, 0xD9])
}

/// Decodes with limits, the EXIF orientation applied; a GIF gives its first frame.
pub fn decode(bytes: &[u8], kind: Kind) -> Result<DynamicImage, String> {
    let mut decoder = reader(bytes, kind)
        .into_decoder()
        .map_err(|e| e.to_string())?;
    let orientation = decoder.orientation().map_err(|e| e.to_string())?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// The variant sizes, each the side of the square box it fits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Size {
    Thumb,
    Medium,
    Large,
}

impl Size {
    /// Largest first: each variant is resized from the one before it.
    pub const ALL: [Self; 3] = [Self::Large, Self::Medium, Self::Thumb];

    pub fn name(self) -> &'static str {
        match self {
            Self::Thumb => "thumb",
            Self::Medium => "medium",
            Self::Large => "large",
        }
    }

    pub fn bound(self) -> u32 {
        match self {
            Self::Thumb => 150,
            Self::Medium => 600,
            Self::Large => 1200,
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|size| size.name() == name)
    }
}

/// The dimensions that fit `width` x `height` into a `bound` square, aspect kept,
/// never enlarged.
pub fn fit(width: u32, height: u32, bound: u32) -> (u32, u32) {
    if width <= bound && height <= bound {
        return (width, height);
    }
    let scale = f64::from(bound) / f64::from(width.max(height));
    let scaled = |side: u32| ((f64::from(side) * scale).round() as u32).clamp(1, bound);
    (scaled(width), scaled(height))
}

/// One encoded variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub size: Size,
    pub width: u32,
    pub height: u32,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Decodes the original and makes the three variants, encoded in the original's format
/// (PNG for a GIF). The same input always gives the same bytes.
pub fn make_variants(bytes: &[u8], kind: Kind) -> Result<Vec<Variant>, String> {
    let image = decode(bytes, kind)?;
    let (width, height) = (image.width(), image.height());
    let alpha = image.color().has_alpha() && kind != Kind::Jpeg;
    let (pixels, pixel_type) = if alpha {
        (image.into_rgba8().into_raw(), PixelType::U8x4)
    } else {
        (image.into_rgb8().into_raw(), PixelType::U8x3)
    };
    let mut current = Image::from_vec_u8(width, height, pixels, pixel_type)
        .map_err(|e| format!("pixel buffer: {e}"))?;
    let mut resizer = Resizer::new();
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    let mut variants = Vec::with_capacity(Size::ALL.len());
    for size in Size::ALL {
        let (w, h) = fit(width, height, size.bound());
        if (w, h) != (current.width(), current.height()) {
            let mut next = Image::new(w, h, pixel_type);
            resizer
                .resize(&current, &mut next, &options)
                .map_err(|e| format!("resize: {e}"))?;
            current = next;
        }
        let (content_type, bytes) = encode(current.buffer(), w, h, alpha, kind)?;
        variants.push(Variant {
            size,
            width: w,
            height: h,
            content_type,
            bytes,
        });
    }
    Ok(variants)
}

fn encode(
    pixels: &[u8],
    width: u32,
    height: u32,
    alpha: bool,
    kind: Kind,
) -> Result<(&'static str, Vec<u8>), String> {
    use image::ImageEncoder;
    let color = if alpha {
        image::ExtendedColorType::Rgba8
    } else {
        image::ExtendedColorType::Rgb8
    };
    let mut out = Vec::new();
    let content_type = match kind {
        Kind::Jpeg => {
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
                .write_image(pixels, width, height, color)
                .map_err(|e| e.to_string())?;
            "image/jpeg"
        }
        Kind::WebP => {
            image::codecs::webp::WebPEncoder::new_lossless(&mut out)
                .write_image(pixels, width, height, color)
                .map_err(|e| e.to_string())?;
            "image/webp"
        }
        Kind::Png | Kind::Gif => {
            image::codecs::png::PngEncoder::new(&mut out)
                .write_image(pixels, width, height, color)
                .map_err(|e| e.to_string())?;
            "image/png"
        }
    };
    Ok((content_type, out))
}

#[cfg(test)]
mod tests;
