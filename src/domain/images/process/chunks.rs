//! PNG chunks the decoder is allowed to see. Ancillary chunks such as `iCCP`, `zTXt` and
//! `iTXt` are zlib streams the decoder inflates while it reads the header, before any
//! pixel: a 1 MB `iCCP` chunk can inflate to a gigabyte. The variants carry no colour
//! profile or text, so those chunks are dropped before decoding, never inflated.

use std::borrow::Cow;

const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Chunks kept: the critical ones, transparency, the EXIF block (for orientation) and
/// the animation chunks (an APNG's default image may be its first frame).
const KEPT: [&[u8; 4]; 9] = [
    b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"eXIf", b"acTL", b"fcTL", b"fdAT",
];

/// The PNG without the chunks the decoder must not see. Bytes after a chunk whose
/// length runs past the end are kept as they are, for the decoder to refuse.
pub fn without_ancillary(bytes: &[u8]) -> Cow<'_, [u8]> {
    if !bytes.starts_with(SIGNATURE) {
        return Cow::Borrowed(bytes);
    }
    let mut kept = Vec::with_capacity(bytes.len());
    kept.extend_from_slice(SIGNATURE);
    let mut at = SIGNATURE.len();
    let mut dropped = false;
    while at < bytes.len() {
        let Some(end) = chunk_end(bytes, at) else {
            break;
        };
        let kind = &bytes[at + 4..at + 8];
        if KEPT.iter().any(|k| &k[..] == kind) {
            kept.extend_from_slice(&bytes[at..end]);
        } else {
            dropped = true;
        }
        at = end;
    }
    if !dropped {
        return Cow::Borrowed(bytes);
    }
    kept.extend_from_slice(&bytes[at..]);
    Cow::Owned(kept)
}

/// Where the chunk starting at `at` ends (after its CRC), if it is whole.
fn chunk_end(bytes: &[u8], at: usize) -> Option<usize> {
    let length = bytes.get(at..at + 4)?;
    let length = u32::from_be_bytes(length.try_into().ok()?) as usize;
    let end = at.checked_add(12)?.checked_add(length)?;
    (end <= bytes.len()).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&[0, 0, 0, 0]);
        out
    }

    fn kinds(png: &[u8]) -> Vec<String> {
        let mut at = SIGNATURE.len();
        let mut kinds = Vec::new();
        while let Some(end) = chunk_end(png, at) {
            kinds.push(String::from_utf8_lossy(&png[at + 4..at + 8]).into_owned());
            at = end;
        }
        kinds
    }

    #[test]
    fn compressed_and_text_chunks_are_dropped_and_the_rest_kept_in_order() {
        let png = [
            SIGNATURE.to_vec(),
            chunk(b"IHDR", &[0; 13]),
            chunk(b"iCCP", b"name\0\0zlib..."),
            chunk(b"zTXt", b"k\0\0zlib..."),
            chunk(b"eXIf", b"MM"),
            chunk(b"IDAT", b"pixels"),
            chunk(b"tEXt", b"k\0v"),
            chunk(b"IEND", b""),
        ]
        .concat();
        let kept = without_ancillary(&png);
        assert!(matches!(kept, Cow::Owned(_)));
        assert_eq!(kinds(&kept), ["IHDR", "eXIf", "IDAT", "IEND"]);
    }

    #[test]
    fn a_png_with_nothing_to_drop_is_not_copied() {
        let png = [
            SIGNATURE.to_vec(),
            chunk(b"IHDR", &[0; 13]),
            chunk(b"IDAT", b"pixels"),
            chunk(b"IEND", b""),
        ]
        .concat();
        assert!(matches!(without_ancillary(&png), Cow::Borrowed(_)));
    }

    #[test]
    fn a_cut_off_chunk_is_left_for_the_decoder() {
        let mut png = [
            SIGNATURE.to_vec(),
            chunk(b"IHDR", &[0; 13]),
            chunk(b"iCCP", b"name\0\0zlib"),
            chunk(b"IDAT", b"pixels"),
        ]
        .concat();
        png.truncate(png.len() - 3);
        let kept = without_ancillary(&png);
        assert_eq!(kinds(&kept), ["IHDR"]);
        assert!(
            kept.ends_with(b"IDATpixels\0"),
            "the cut-off tail is kept as sent"
        );
        assert!(without_ancillary(b"not a png").len() == 9);
    }
}
