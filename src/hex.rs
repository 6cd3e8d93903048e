//! Hashes as hex text: how the CLI prints and accepts chain checkpoints.

/// Lower-case hex of `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Parses a 32-byte hash written as 64 hex digits (either case).
pub(crate) fn parse_hash(text: &str) -> Result<[u8; 32], String> {
    parse_bytes(text)
}

/// Parses `N` bytes written as `2 * N` hex digits (either case).
pub(crate) fn parse_bytes<const N: usize>(text: &str) -> Result<[u8; N], String> {
    let text = text.trim();
    if text.len() != 2 * N {
        return Err(format!(
            "expected {} hex digits, got {} characters",
            2 * N,
            text.len()
        ));
    }
    let mut bytes = [0u8; N];
    for (k, pair) in text.as_bytes().chunks_exact(2).enumerate() {
        let digit = |c: u8| {
            char::from(c)
                .to_digit(16)
                .ok_or_else(|| format!("{:?} is not a hex digit", char::from(c)))
        };
        bytes[k] = (digit(pair[0])? << 4 | digit(pair[1])?) as u8;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_round_trip() {
        let hash: [u8; 32] = std::array::from_fn(|k| (k * 37) as u8);
        assert_eq!(parse_hash(&encode(&hash)), Ok(hash));
        assert_eq!(parse_hash(&encode(&hash).to_uppercase()), Ok(hash));
    }

    #[test]
    fn bad_hex_is_refused() {
        assert!(parse_hash("abc").is_err());
        assert!(parse_hash(&"g".repeat(64)).is_err());
    }
}
