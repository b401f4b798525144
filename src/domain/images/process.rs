//! The pixels: what an upload is (judged by its bytes, decoded with limits), and the
//! resized variants of it. CPU-bound and blocking; callers run it off the async runtime.

mod chunks;

use std::{borrow::Cow, io::Cursor};

use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer, images::Image};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, metadata::Orientation};

/// Images over this many pixels are refused before they are decoded.
pub const MAX_PIXELS: u64 = 40_000_000;
/// What reading a header may allocate: metadata only, never pixels.
const HEADER_ALLOC: u64 = 16 * 1024 * 1024;
/// Decoder state besides the pixels (row buffers, tables), in bytes.
const DECODER_SLACK: u64 = 1024 * 1024;
/// The resized variants and their encoded bytes (at most 1200x1200 RGBA, twice).
const VARIANTS_SLACK: u64 = 16 * 1024 * 1024;

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
    #[error("Decoding the image needs {needed} bytes of memory; at most {allowed} are allowed.")]
    TooLarge { needed: u64, allowed: u64 },
}

/// What an image's header says it is, read without decoding a pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub kind: Kind,
    pub width: u32,
    pub height: u32,
    /// The decoded pixels' size, in the decoder's own layout (e.g. 8 bytes a pixel for
    /// 16-bit RGBA).
    decoded_bytes: u64,
    alpha: bool,
}

impl Probe {
    fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// The most decoding this image may allocate: its pixels, what the format's decoder
    /// holds besides them (a progressive JPEG keeps every coefficient, 2 bytes for each
    /// of 3 components; a GIF or WebP decoder a frame or its planes), and some state.
    pub fn decode_cost(&self) -> u64 {
        let extra_per_pixel = match self.kind {
            Kind::Png => 0,
            Kind::Jpeg => 6,
            Kind::Gif | Kind::WebP => 4,
        };
        self.decoded_bytes + extra_per_pixel * self.pixels() + DECODER_SLACK
    }

    /// The most making the variants may allocate: the decode, the 8-bit copy the
    /// resizer works on (or the turned copy an EXIF orientation asks for), and the
    /// variants themselves.
    pub fn process_cost(&self) -> u64 {
        let channels = if self.alpha { 4 } else { 3 };
        self.decode_cost() + channels * self.pixels() + VARIANTS_SLACK
    }
}

/// A reader whose decoder may allocate at most `max_alloc` bytes and sees only the
/// chunks it needs (see [`chunks`]).
fn reader(bytes: &[u8], kind: Kind, max_alloc: u64) -> ImageReader<Cursor<Cow<'_, [u8]>>> {
    let bytes = match kind {
        Kind::Png => chunks::without_ancillary(bytes),
        _ => Cow::Borrowed(bytes),
    };
    let mut limits = Limits::default();
    limits.max_alloc = Some(max_alloc);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind.format());
    reader.limits(limits);
    reader
}

/// Reads an upload's kind (by content) and header: dimensions and the decoded size,
/// with no pixel decoded. Refuses what is empty, of another kind, or over
/// [`MAX_PIXELS`].
pub fn read_header(bytes: &[u8]) -> Result<Probe, Rejection> {
    if bytes.is_empty() {
        return Err(Rejection::Empty);
    }
    let kind = Kind::sniff(bytes).ok_or(Rejection::Unsupported)?;
    let decoder = reader(bytes, kind, HEADER_ALLOC)
        .into_decoder()
        .map_err(|e| Rejection::Undecodable(e.to_string()))?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Rejection::TooManyPixels { width, height });
    }
    Ok(Probe {
        kind,
        width,
        height,
        decoded_bytes: decoder.total_bytes(),
        alpha: decoder.color_type().has_alpha(),
    })
}

/// Decodes the whole image within `max_alloc` bytes, so a truncated or corrupt file is
/// refused now rather than failing its job later.
pub fn verify(bytes: &[u8], probe: &Probe, max_alloc: u64) -> Result<(), Rejection> {
    if probe.kind == Kind::Jpeg && !jpeg_is_complete(bytes) {
        return Err(Rejection::Undecodable(
            "the JPEG data ends before its end-of-image marker".to_string(),
        ));
    }
    decode(bytes, probe, max_alloc).map(drop)
}

/// [`read_header`], then [`verify`] within the image's own decode cost.
#[cfg(test)]
pub fn probe(bytes: &[u8]) -> Result<Probe, Rejection> {
    let probe = read_header(bytes)?;
    verify(bytes, &probe, probe.decode_cost())?;
    Ok(probe)
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

/// Decodes the pixels (a GIF's first frame) and reads the EXIF orientation, allocating
/// at most `max_alloc` bytes: an image whose header says it needs more is refused
/// before anything is allocated, and the decoder's own buffers are capped at it.
fn decode(
    bytes: &[u8],
    probe: &Probe,
    max_alloc: u64,
) -> Result<(DynamicImage, Orientation), Rejection> {
    let needed = probe.decode_cost();
    if needed > max_alloc {
        return Err(Rejection::TooLarge {
            needed,
            allowed: max_alloc,
        });
    }
    let undecodable = |e: image::ImageError| Rejection::Undecodable(e.to_string());
    let mut reader = reader(bytes, probe.kind, max_alloc);
    let mut limits = Limits::default();
    limits.max_alloc = Some(max_alloc);
    // The header was read once already: a decoder finding other dimensions stops.
    limits.max_image_width = Some(probe.width);
    limits.max_image_height = Some(probe.height);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    let orientation = decoder.orientation().map_err(undecodable)?;
    let image = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    Ok((image, orientation))
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

/// Decodes the original within `max_alloc` bytes (see [`Probe::process_cost`]) and
/// makes the three variants, upright, encoded in the original's format (PNG for a
/// GIF). The same input always gives the same bytes.
pub fn make_variants(bytes: &[u8], probe: &Probe, max_alloc: u64) -> Result<Vec<Variant>, String> {
    let kind = probe.kind;
    let needed = probe.process_cost();
    if needed > max_alloc {
        let refused = Rejection::TooLarge {
            needed,
            allowed: max_alloc,
        };
        return Err(refused.to_string());
    }
    let (image, orientation) = decode(bytes, probe, max_alloc).map_err(|e| e.to_string())?;
    let alpha = image.color().has_alpha() && kind != Kind::Jpeg;
    // To 8 bits first and the decoded image dropped, then turned: never two copies at
    // the decoder's depth.
    let mut image = if alpha {
        DynamicImage::ImageRgba8(image.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.into_rgb8())
    };
    image.apply_orientation(orientation);
    let (width, height) = (image.width(), image.height());
    let (pixels, pixel_type) = match image {
        DynamicImage::ImageRgba8(buffer) => (buffer.into_raw(), PixelType::U8x4),
        other => (other.into_rgb8().into_raw(), PixelType::U8x3),
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
pub(crate) mod tests;
