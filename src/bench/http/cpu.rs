//! CPU time of processes from `/proc/{pid}/stat` (Linux), to tell how the
//! cores were shared between the server and this client while measuring.

/// Clock ticks per second of `/proc` times (`USER_HZ`, 100 on Linux).
const USER_HZ: f64 = 100.0;

/// User plus system CPU seconds used so far by process `pid` (`None`:
/// this process), or `None` when `/proc` cannot tell.
pub(super) fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let stat = std::fs::read_to_string(path).ok()?;
    parse(&stat)
}

/// utime + stime of a `stat` line, in seconds.
fn parse(stat: &str) -> Option<f64> {
    // The command name (field 2) may hold spaces: count from its ')'.
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / USER_HZ)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_are_parsed_after_the_command_name() {
        let line = "42 (agora (x)) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0";
        assert_eq!(parse(line), Some(3.0));
        assert_eq!(parse("garbage"), None);
        assert!(cpu_seconds(None).is_some_and(|s| s >= 0.0));
    }
}
