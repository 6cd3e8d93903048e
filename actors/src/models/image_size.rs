//! An image's width and height read from its header, before anything
//! decodes it: leptonica decodes an image in full, so a small file that
//! declares a huge canvas (a PNG of 250 KB declaring 16000×16000 pixels)
//! would take gigabytes. [`check_pixels`] refuses it first.
//!
//! Formats: PNG, JPEG, TIFF (the first page, as leptonica reads it), GIF,
//! BMP, PNM (`P1`–`P6`, what `pdftoppm` writes) and WebP. Only the bytes
//! needed are read; an image whose size cannot be read this way (another
//! format, a truncated or damaged header, a zero side) is refused as
//! invalid input rather than handed to a decoder.

use super::ModelError;

/// Default of the largest image read, in pixels (width × height): 40
/// million, e.g. 8000 × 5000, an A4 page at 600 dpi is about 35 million.
pub const DEFAULT_MAX_IMAGE_PIXELS: u64 = 40_000_000;

/// An image's size, in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dimensions {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl Dimensions {
    /// Width × height.
    pub fn pixels(self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

/// The size `bytes` declare in their header, if they are an image of a
/// format listed in the module doc whose header is whole.
pub fn dimensions(bytes: &[u8]) -> Option<Dimensions> {
    let (width, height) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        png(bytes)?
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        jpeg(bytes)?
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        tiff(bytes)?
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        gif(bytes)?
    } else if bytes.starts_with(b"BM") {
        bmp(bytes)?
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(&b"WEBP"[..]) {
        webp(bytes)?
    } else if bytes.first() == Some(&b'P') && matches!(bytes.get(1), Some(b'1'..=b'6')) {
        pnm(bytes)?
    } else {
        return None;
    };
    (width > 0 && height > 0).then_some(Dimensions { width, height })
}

/// The size of `bytes` if it is at most `max_pixels`;
/// [`ModelError::ImageTooLarge`] if more; [`ModelError::InvalidInput`] if
/// the header does not tell (see the module doc).
pub fn check_pixels(bytes: &[u8], max_pixels: u64) -> Result<Dimensions, ModelError> {
    let size = dimensions(bytes).ok_or_else(|| {
        ModelError::InvalidInput(
            "not an image whose width and height its header tells \
             (PNG, JPEG, TIFF, GIF, BMP, PNM or WebP)"
                .into(),
        )
    })?;
    if size.pixels() > max_pixels {
        return Err(ModelError::ImageTooLarge {
            what: "the image".into(),
            width: size.width,
            height: size.height,
            max_pixels,
        });
    }
    Ok(size)
}

fn u16_be(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u16_le(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_be(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u32_le(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u24_le(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 3)?;
    Some(u32::from(b[0]) | (u32::from(b[1]) << 8) | (u32::from(b[2]) << 16))
}

/// PNG: the first chunk is `IHDR`, width and height big-endian.
fn png(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.get(12..16)? != b"IHDR" {
        return None;
    }
    Some((u32_be(bytes, 16)?, u32_be(bytes, 20)?))
}

/// JPEG: walks the segments to the first start of frame (`SOFn`).
fn jpeg(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2;
    loop {
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        // Any number of 0xFF fill bytes may precede a marker.
        while *bytes.get(at + 1)? == 0xFF {
            at += 1;
        }
        let marker = *bytes.get(at + 1)?;
        match marker {
            // Markers without a length: TEM, RSTn.
            0x01 | 0xD0..=0xD7 => at += 2,
            // End of image, or image data before any frame header.
            0xD9 | 0xDA => return None,
            // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let height = u16_be(bytes, at + 5)?;
                let width = u16_be(bytes, at + 7)?;
                return Some((u32::from(width), u32::from(height)));
            }
            _ => {
                let length = usize::from(u16_be(bytes, at + 2)?);
                if length < 2 {
                    return None;
                }
                at = at.checked_add(2 + length)?;
            }
        }
    }
}

/// TIFF: `ImageWidth` (256) and `ImageLength` (257) of the first IFD.
fn tiff(bytes: &[u8]) -> Option<(u32, u32)> {
    let little = bytes.starts_with(b"II");
    let u16_at = |at| {
        if little {
            u16_le(bytes, at)
        } else {
            u16_be(bytes, at)
        }
    };
    let u32_at = |at| {
        if little {
            u32_le(bytes, at)
        } else {
            u32_be(bytes, at)
        }
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let entries = usize::from(u16_at(ifd)?);
    let (mut width, mut height) = (None, None);
    for i in 0..entries {
        let entry = ifd.checked_add(2 + i * 12)?;
        let tag = u16_at(entry)?;
        if tag != 256 && tag != 257 {
            continue;
        }
        // SHORT (3) or LONG (4), one value, stored in the entry itself.
        let value = match u16_at(entry + 2)? {
            3 => u32::from(u16_at(entry + 8)?),
            4 => u32_at(entry + 8)?,
            _ => return None,
        };
        if tag == 256 {
            width = Some(value);
        } else {
            height = Some(value);
        }
    }
    Some((width?, height?))
}

/// GIF: the logical screen, or the first image if it reaches further (a
/// decoder allocates the larger).
fn gif(bytes: &[u8]) -> Option<(u32, u32)> {
    let screen = (u32::from(u16_le(bytes, 6)?), u32::from(u16_le(bytes, 8)?));
    let flags = *bytes.get(10)?;
    let mut at = 13;
    if flags & 0x80 != 0 {
        at += 3 << ((flags & 0x07) + 1);
    }
    loop {
        match *bytes.get(at)? {
            // Extension: label, then sub-blocks until an empty one.
            0x21 => {
                at += 2;
                loop {
                    let size = usize::from(*bytes.get(at)?);
                    at += 1 + size;
                    if size == 0 {
                        break;
                    }
                }
            }
            // Image descriptor: left, top, width, height.
            0x2C => {
                let right = u32::from(u16_le(bytes, at + 1)?) + u32::from(u16_le(bytes, at + 5)?);
                let bottom = u32::from(u16_le(bytes, at + 3)?) + u32::from(u16_le(bytes, at + 7)?);
                return Some((screen.0.max(right), screen.1.max(bottom)));
            }
            _ => return None,
        }
    }
}

/// BMP: the DIB header's width and height (negative height: top-down).
fn bmp(bytes: &[u8]) -> Option<(u32, u32)> {
    if u32_le(bytes, 14)? == 12 {
        // OS/2 BITMAPCOREHEADER: 16-bit sides.
        return Some((u32::from(u16_le(bytes, 18)?), u32::from(u16_le(bytes, 20)?)));
    }
    let width = i32::from_le_bytes(bytes.get(18..22)?.try_into().ok()?);
    let height = i32::from_le_bytes(bytes.get(22..26)?.try_into().ok()?);
    Some((width.unsigned_abs(), height.unsigned_abs()))
}

/// WebP: the canvas of a lossy (`VP8 `), lossless (`VP8L`) or extended
/// (`VP8X`) file.
fn webp(bytes: &[u8]) -> Option<(u32, u32)> {
    match bytes.get(12..16)? {
        b"VP8 " => {
            if bytes.get(23..26)? != [0x9D, 0x01, 0x2A] {
                return None;
            }
            let width = u16_le(bytes, 26)? & 0x3FFF;
            let height = u16_le(bytes, 28)? & 0x3FFF;
            Some((u32::from(width), u32::from(height)))
        }
        b"VP8L" => {
            if *bytes.get(20)? != 0x2F {
                return None;
            }
            let bits = u32_le(bytes, 21)?;
            Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => Some((u24_le(bytes, 24)? + 1, u24_le(bytes, 27)? + 1)),
        _ => None,
    }
}

/// PNM (`P1`–`P6`): ASCII width and height after the magic, separated by
/// whitespace and `#` comments.
fn pnm(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2;
    let mut number = || -> Option<u32> {
        loop {
            match *bytes.get(at)? {
                b'#' => {
                    while *bytes.get(at)? != b'\n' {
                        at += 1;
                    }
                }
                b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C => at += 1,
                _ => break,
            }
        }
        let start = at;
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        std::str::from_utf8(bytes.get(start..at)?)
            .ok()?
            .parse()
            .ok()
    };
    let width = number()?;
    let height = number()?;
    Some((width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CRC-32 (IEEE) as PNG computes it over a chunk's type and data.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFF_u32;
        for &byte in bytes {
            crc ^= u32::from(byte);
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

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(data.len())
            .expect("short")
            .to_be_bytes()
            .to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut covered = kind.to_vec();
        covered.extend_from_slice(data);
        out.extend_from_slice(&crc32(&covered).to_be_bytes());
        out
    }

    /// A well-formed PNG header declaring `width` × `height` 8-bit gray
    /// pixels, with one (too small) compressed data chunk and the end.
    fn png_declaring(width: u32, height: u32) -> Vec<u8> {
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(chunk(b"IHDR", &ihdr));
        png.extend(chunk(
            b"IDAT",
            &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        ));
        png.extend(chunk(b"IEND", &[]));
        png
    }

    fn size(width: u32, height: u32) -> Option<Dimensions> {
        Some(Dimensions { width, height })
    }

    #[test]
    fn the_crc_is_pngs() {
        // The IEND chunk's CRC every PNG ends with.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn a_png_declaring_16000_by_16000_is_refused_from_its_header() {
        let bomb = png_declaring(16_000, 16_000);
        assert!(bomb.len() < 100, "a few bytes declare 256 million pixels");
        assert_eq!(dimensions(&bomb), size(16_000, 16_000));
        match check_pixels(&bomb, DEFAULT_MAX_IMAGE_PIXELS) {
            Err(ModelError::ImageTooLarge {
                width,
                height,
                max_pixels,
                ..
            }) => assert_eq!((width, height, max_pixels), (16_000, 16_000, 40_000_000)),
            other => panic!("expected ImageTooLarge, got {other:?}"),
        }
        let fits = png_declaring(8_000, 5_000);
        assert_eq!(
            check_pixels(&fits, DEFAULT_MAX_IMAGE_PIXELS).ok(),
            size(8_000, 5_000)
        );
        assert!(check_pixels(&fits, 39_999_999).is_err(), "one pixel over");
    }

    #[test]
    fn jpeg_sizes_come_from_the_first_frame_header_past_other_segments() {
        let mut jpeg = vec![0xFF, 0xD8];
        // APP0 (JFIF), 16 bytes, then fill bytes before the next marker.
        jpeg.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x10]);
        jpeg.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        jpeg.extend_from_slice(&[0xFF, 0xFF]);
        // DHT (not a frame) then SOF2 (progressive): 600 high, 800 wide.
        jpeg.extend_from_slice(&[0xFF, 0xC4, 0x00, 0x03, 0x00]);
        jpeg.extend_from_slice(&[0xFF, 0xC2, 0x00, 0x0B, 0x08, 0x02, 0x58, 0x03, 0x20, 0x01]);
        assert_eq!(dimensions(&jpeg), size(800, 600));
        // Image data before any frame header, or a cut file: unknown.
        assert_eq!(dimensions(&[0xFF, 0xD8, 0xFF, 0xDA, 0, 2]), None);
        assert_eq!(dimensions(&jpeg[..jpeg.len() - 4]), None);
    }

    #[test]
    fn tiff_sizes_come_from_the_first_ifd_in_either_byte_order() {
        // Little-endian: IFD at 8 with width (LONG) and height (SHORT).
        let mut le = b"II*\0\x08\0\0\0".to_vec();
        le.extend_from_slice(&2u16.to_le_bytes());
        le.extend_from_slice(&[0x00, 0x01, 4, 0, 1, 0, 0, 0]);
        le.extend_from_slice(&70_000u32.to_le_bytes());
        le.extend_from_slice(&[0x01, 0x01, 3, 0, 1, 0, 0, 0]);
        le.extend_from_slice(&[0x10, 0x27, 0, 0]);
        assert_eq!(dimensions(&le), size(70_000, 10_000));
        // Big-endian: both SHORT.
        let mut be = b"MM\0*\0\0\0\x08".to_vec();
        be.extend_from_slice(&2u16.to_be_bytes());
        be.extend_from_slice(&[0x01, 0x00, 0, 3, 0, 0, 0, 1, 0x01, 0x2C, 0, 0]);
        be.extend_from_slice(&[0x01, 0x01, 0, 3, 0, 0, 0, 1, 0x00, 0xC8, 0, 0]);
        assert_eq!(dimensions(&be), size(300, 200));
        assert_eq!(dimensions(&be[..20]), None, "a cut IFD");
    }

    #[test]
    fn gif_bmp_webp_and_pnm_sizes_are_read() {
        let mut gif = b"GIF89a".to_vec();
        gif.extend_from_slice(&[10, 0, 10, 0, 0x80, 0, 0]); // 2-colour table
        gif.extend_from_slice(&[0; 6]);
        gif.extend_from_slice(&[0x21, 0xF9, 4, 0, 0, 0, 0, 0]); // graphic control
        gif.extend_from_slice(&[0x2C, 5, 0, 0, 0, 0x10, 0x27, 4, 0]); // image 10000×4 at x 5
        assert_eq!(dimensions(&gif), size(10_005, 10));

        let mut bmp = b"BM".to_vec();
        bmp.extend_from_slice(&[0; 12]);
        bmp.extend_from_slice(&40u32.to_le_bytes());
        bmp.extend_from_slice(&640i32.to_le_bytes());
        bmp.extend_from_slice(&(-480i32).to_le_bytes());
        assert_eq!(dimensions(&bmp), size(640, 480));

        let webp = |chunk: &[u8], data: &[u8]| {
            let mut out = b"RIFF\0\0\0\0WEBP".to_vec();
            out.extend_from_slice(chunk);
            out.extend_from_slice(&[0; 4]);
            out.extend_from_slice(data);
            out
        };
        let lossy = webp(
            b"VP8 ",
            &[0, 0, 0, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01],
        );
        assert_eq!(dimensions(&lossy), size(640, 480));
        let bits: u32 = 639 | (479 << 14);
        let mut data = vec![0x2F];
        data.extend_from_slice(&bits.to_le_bytes());
        assert_eq!(dimensions(&webp(b"VP8L", &data)), size(640, 480));
        let extended = webp(b"VP8X", &[0, 0, 0, 0, 0x7F, 0x02, 0, 0xDF, 0x01, 0]);
        assert_eq!(dimensions(&extended), size(640, 480));

        assert_eq!(
            dimensions(b"P5\n# pdftoppm\n3300 2550\n255\n"),
            size(3300, 2550)
        );
        assert_eq!(dimensions(b"P1 7\t9 "), size(7, 9));
        assert_eq!(dimensions(b"P5 7"), None, "no height");
    }

    #[test]
    fn what_the_header_does_not_tell_is_invalid_input() {
        for bytes in [
            &b""[..],
            &b"%PDF-1.4"[..],
            &b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDX"[..],
            &b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0"[..],
        ] {
            assert!(matches!(
                check_pixels(bytes, DEFAULT_MAX_IMAGE_PIXELS),
                Err(ModelError::InvalidInput(_))
            ));
        }
        assert!(
            matches!(
                check_pixels(&png_declaring(0, 10), DEFAULT_MAX_IMAGE_PIXELS),
                Err(ModelError::InvalidInput(_))
            ),
            "a zero side"
        );
    }
}
