use super::*;

fn png(width: u32, height: u32, rgba: [u8; 4]) -> Vec<u8> {
    let image = image::RgbaImage::from_pixel(width, height, image::Rgba(rgba));
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// The variants, made within the image's own process cost.
fn variants_of(bytes: &[u8]) -> Result<Vec<Variant>, String> {
    let probe = read_header(bytes).map_err(|e| e.to_string())?;
    make_variants(bytes, &probe, probe.process_cost())
}

#[test]
fn kinds_are_sniffed_from_content() {
    assert_eq!(Kind::sniff(&png(1, 1, [0; 4])), Some(Kind::Png));
    assert_eq!(Kind::sniff(&jpeg(8, 8)), Some(Kind::Jpeg));
    assert_eq!(Kind::sniff(b"GIF89a...."), Some(Kind::Gif));
    assert_eq!(Kind::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Kind::WebP));
    assert_eq!(Kind::sniff(b"hello, world"), None);
    assert_eq!(Kind::sniff(b""), None);
}

#[test]
fn boxes_keep_the_aspect_and_never_enlarge() {
    assert_eq!(fit(4000, 3000, 1200), (1200, 900));
    assert_eq!(fit(3000, 4000, 150), (113, 150));
    assert_eq!(fit(100, 50, 600), (100, 50));
    assert_eq!(fit(10_000, 1, 150), (150, 1));
}

#[test]
fn variants_fit_their_boxes() {
    let variants = variants_of(&jpeg(1600, 1000)).unwrap();
    let dims: Vec<_> = variants
        .iter()
        .map(|v| (v.size, v.width, v.height, v.content_type))
        .collect();
    assert_eq!(
        dims,
        vec![
            (Size::Large, 1200, 750, "image/jpeg"),
            (Size::Medium, 600, 375, "image/jpeg"),
            (Size::Thumb, 150, 94, "image/jpeg"),
        ]
    );
    for variant in &variants {
        let decoded = image::load_from_memory(&variant.bytes).unwrap();
        assert_eq!(
            (decoded.width(), decoded.height()),
            (variant.width, variant.height)
        );
    }
}

#[test]
fn small_images_are_not_enlarged_and_keep_alpha() {
    let variants = variants_of(&png(40, 30, [10, 20, 30, 128])).unwrap();
    for variant in &variants {
        assert_eq!((variant.width, variant.height), (40, 30));
        assert_eq!(variant.content_type, "image/png");
        let decoded = image::load_from_memory(&variant.bytes)
            .unwrap()
            .into_rgba8();
        assert_eq!(decoded.get_pixel(5, 5).0, [10, 20, 30, 128]);
    }
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let original = jpeg(900, 700);
    assert_eq!(
        variants_of(&original).unwrap(),
        variants_of(&original).unwrap()
    );
}

#[test]
fn an_animated_gif_gives_its_first_frame() {
    use image::{Delay, Frame, RgbaImage, codecs::gif::GifEncoder};
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        for color in [[255, 0, 0, 255], [0, 0, 255, 255]] {
            let frame = Frame::from_parts(
                RgbaImage::from_pixel(300, 200, image::Rgba(color)),
                0,
                0,
                Delay::from_numer_denom_ms(100, 1),
            );
            encoder.encode_frame(frame).unwrap();
        }
    }
    let variants = variants_of(&out).unwrap();
    let thumb = variants.iter().find(|v| v.size == Size::Thumb).unwrap();
    assert_eq!((thumb.width, thumb.height), (150, 100));
    assert_eq!(thumb.content_type, "image/png");
    let pixel = image::load_from_memory(&thumb.bytes)
        .unwrap()
        .into_rgba8()
        .get_pixel(75, 50)
        .0;
    assert!(pixel[0] > 200 && pixel[2] < 50, "{pixel:?}");
}

/// A minimal big-endian TIFF block holding one tag: Orientation.
fn exif_orientation(value: u8) -> Vec<u8> {
    let mut exif = b"MM\0\x2a\0\0\0\x08\0\x01".to_vec();
    exif.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, value, 0, 0]);
    exif.extend_from_slice(&[0, 0, 0, 0]);
    exif
}

#[test]
fn exif_orientation_is_applied() {
    use image::{ImageEncoder, codecs::png::PngEncoder};
    let image = image::RgbImage::from_pixel(400, 200, image::Rgb([0, 200, 0]));
    let mut out = Vec::new();
    let mut encoder = PngEncoder::new(&mut out);
    encoder.set_exif_metadata(exif_orientation(6)).unwrap();
    encoder
        .write_image(image.as_raw(), 400, 200, image::ExtendedColorType::Rgb8)
        .unwrap();
    let probe = probe(&out).unwrap();
    assert_eq!((probe.width, probe.height), (400, 200), "as stored");
    let variants = variants_of(&out).unwrap();
    let thumb = variants.iter().find(|v| v.size == Size::Thumb).unwrap();
    assert_eq!((thumb.width, thumb.height), (75, 150), "turned upright");
}

/// A PNG whose header claims `width` x `height` but holds no pixel data.
pub(crate) fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    png_bomb_of_depth(width, height, 8)
}

/// The same, of RGBA pixels with `depth` bits a channel.
pub(crate) fn png_bomb_of_depth(width: u32, height: u32, depth: u8) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[depth, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&ihdr);
    out.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    for chunk in [&b"IDAT"[..], &b"IEND"[..]] {
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(&crc32(chunk).to_be_bytes());
    }
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn bad_uploads_are_rejected_for_what_they_are() {
    assert_eq!(probe(b""), Err(Rejection::Empty));
    assert_eq!(probe(b"just some text"), Err(Rejection::Unsupported));
    assert_eq!(
        probe(&png_bomb(50_000, 50_000)),
        Err(Rejection::TooManyPixels {
            width: 50_000,
            height: 50_000
        })
    );
    assert!(matches!(
        probe(&png_bomb(100, 100)),
        Err(Rejection::Undecodable(_))
    ));
    let whole = jpeg(640, 480);
    assert!(probe(&whole).is_ok());
    assert!(matches!(
        probe(&whole[..whole.len() / 2]),
        Err(Rejection::Undecodable(_))
    ));
}

#[test]
fn a_decode_needing_more_than_its_cap_is_refused_before_it_allocates() {
    // 6300x6300 RGBA at 16 bits, no rows: 300 bytes that decode to 317,520,000.
    let bomb = png_bomb_of_depth(6300, 6300, 16);
    let probe = read_header(&bomb).unwrap();
    assert_eq!((probe.width, probe.height), (6300, 6300));
    assert!(probe.decode_cost() >= 6300 * 6300 * 8, "{probe:?}");
    let cap = probe.decode_cost() - 1;
    assert_eq!(
        verify(&bomb, &probe, cap),
        Err(Rejection::TooLarge {
            needed: probe.decode_cost(),
            allowed: cap
        })
    );
    assert!(matches!(
        make_variants(&bomb, &probe, probe.process_cost() - 1),
        Err(error) if error.starts_with("Decoding the image needs")
    ));
    // Within its cap it is decoded, and refused for holding no pixels.
    assert!(matches!(
        verify(&bomb, &probe, probe.decode_cost()),
        Err(Rejection::Undecodable(_))
    ));
}

#[test]
fn the_cost_of_a_decode_covers_its_pixels_at_the_decoders_depth() {
    let small = read_header(&png(40, 30, [1, 2, 3, 4])).unwrap();
    assert_eq!(small.decoded_bytes, 40 * 30 * 4);
    let deep = read_header(&png_bomb_of_depth(100, 100, 16)).unwrap();
    assert_eq!(deep.decoded_bytes, 100 * 100 * 8);
    assert!(deep.process_cost() > deep.decode_cost() + 100 * 100 * 4);
    // The largest image accepted fits the default decode budget, job included.
    let largest = read_header(&png_bomb_of_depth(8000, 5000, 16)).unwrap();
    assert!(
        largest.process_cost() <= crate::domain::images::DEFAULT_DECODE_BUDGET,
        "{}",
        largest.process_cost()
    );
}

/// A 10x10 PNG carrying an ICC profile of `profile_bytes` zeros, which compress to
/// almost nothing.
fn png_with_icc_profile(profile_bytes: usize) -> Vec<u8> {
    use image::{ImageEncoder, codecs::png::PngEncoder};
    let image = image::RgbImage::from_pixel(10, 10, image::Rgb([0, 200, 0]));
    let mut out = Vec::new();
    let mut encoder = PngEncoder::new(&mut out);
    encoder.set_icc_profile(vec![0; profile_bytes]).unwrap();
    encoder
        .write_image(image.as_raw(), 10, 10, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

#[test]
fn an_icc_profile_is_never_inflated() {
    // Under the header cap, so that only dropping the chunk keeps it from being inflated.
    let profile = 8 * 1024 * 1024;
    let bytes = png_with_icc_profile(profile);
    assert!(bytes.len() < profile / 100, "a bomb: {} bytes", bytes.len());
    // Read as it was sent, the decoder inflates the whole profile with the header.
    let mut plain = ImageReader::with_format(Cursor::new(&bytes), ImageFormat::Png)
        .into_decoder()
        .unwrap();
    assert_eq!(plain.icc_profile().unwrap().map(|p| p.len()), Some(profile));
    // Ours never sees the chunk.
    let mut ours = reader(&bytes, Kind::Png, HEADER_ALLOC)
        .into_decoder()
        .unwrap();
    assert_eq!(ours.icc_profile().unwrap().map(|p| p.len()), None);
    let probe = probe(&bytes).unwrap();
    assert!(probe.decode_cost() < 2 * 1024 * 1024, "{probe:?}");
    let variants = variants_of(&bytes).unwrap();
    assert_eq!((variants[0].width, variants[0].height), (10, 10));
}
