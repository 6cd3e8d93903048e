//! Reading MovieLens-format rating files: one `user item rating timestamp`
//! row per line, separated by tabs, commas or `::` (ml-1m), with or without
//! a header line (plain, like `userId,movieId,rating,timestamp`, or typed,
//! like recbole's tab-separated `user_id:token item_id:token rating:float timestamp:float`).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, bail};

/// One rating row.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Rating {
    /// The user's id as written in the file.
    pub(crate) user: String,
    /// The item's id as written in the file.
    pub(crate) item: String,
    /// The rating.
    pub(crate) rating: f32,
    /// The timestamp (seconds), 0 if the row has none.
    pub(crate) timestamp: i64,
}

/// Reads every row of `path`. A first line whose rating field is not a
/// number is taken as a header and skipped; blank lines are skipped.
///
/// # Errors
/// If the file cannot be read, or a row (other than a header) has fewer than
/// three fields or a rating that is not a number — naming the line.
pub(crate) fn read(path: &Path) -> anyhow::Result<Vec<Rating>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut rows = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        match parse_line(&line) {
            Ok(Some(row)) => rows.push(row),
            Ok(None) => {}
            Err(_) if n == 0 => {} // a header
            Err(error) => bail!("{}:{}: {error}", path.display(), n + 1),
        }
    }
    Ok(rows)
}

/// Parses one line; `Ok(None)` for a blank line.
pub(crate) fn parse_line(line: &str) -> anyhow::Result<Option<Rating>> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.trim().is_empty() {
        return Ok(None);
    }
    let fields: Vec<&str> = if line.contains('\t') {
        line.split('\t').collect()
    } else if line.contains("::") {
        line.split("::").collect()
    } else {
        line.split(',').collect()
    };
    let [user, item, rating, rest @ ..] = fields.as_slice() else {
        bail!("expected `user item rating [timestamp]`, got {line:?}");
    };
    let rating: f32 = rating
        .trim()
        .parse()
        .with_context(|| format!("rating {rating:?} is not a number"))?;
    let timestamp = rest
        .first()
        .and_then(|t| t.trim().parse::<f64>().ok())
        .map_or(0, |t| t as i64);
    Ok(Some(Rating {
        user: user.trim().to_owned(),
        item: item.trim().to_owned(),
        rating,
        timestamp,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_commas_and_double_colons_are_read() {
        let want = Rating {
            user: "196".into(),
            item: "242".into(),
            rating: 3.0,
            timestamp: 881250949,
        };
        for line in [
            "196\t242\t3\t881250949",
            "196,242,3.0,881250949",
            "196::242::3::881250949",
        ] {
            assert_eq!(parse_line(line).expect("parses"), Some(want.clone()));
        }
        assert_eq!(parse_line("  ").expect("blank"), None);
        assert!(parse_line("user_id:token\titem_id:token\trating:float\ttimestamp:float").is_err());
    }

    #[test]
    fn a_typed_header_is_skipped_and_a_bad_row_is_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("r.inter");
        std::fs::write(
            &path,
            "user_id:token\titem_id:token\trating:float\ttimestamp:float\n1\t2\t5\t10\n",
        )
        .expect("write");
        let rows = read(&path).expect("reads");
        assert_eq!(rows.len(), 1);
        std::fs::write(&path, "1,2,5,10\n1,3,x,11\n").expect("write");
        let error = read(&path).expect_err("bad rating").to_string();
        assert!(error.contains(":2:"), "{error}");
    }
}
