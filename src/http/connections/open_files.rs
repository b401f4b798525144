//! The process's open-file limit (`RLIMIT_NOFILE`), and how many connections fit under
//! it: each connection is a file descriptor, and the database pool, Redis, the image
//! store and the listeners need theirs too. Without room for them, idle sockets could
//! leave the service unable to open anything, `/healthz` included.

/// Descriptors kept for everything but client connections, besides the database's:
/// Redis connections, image files being read or written, the SQLite files, listeners,
/// standard streams.
pub const RESERVED_FILES: usize = 64;

/// What the limit allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionCap {
    /// The connections served at once.
    pub connections: usize,
    /// The soft open-file limit read, when there is one.
    pub open_files: Option<u64>,
}

/// At most `requested` connections, and no more than the open-file limit leaves once
/// `reserved` descriptors are set aside.
pub fn connection_cap(requested: usize, reserved: usize) -> ConnectionCap {
    let open_files = soft_limit();
    ConnectionCap {
        connections: clamp(requested, open_files, reserved),
        open_files,
    }
}

fn clamp(requested: usize, open_files: Option<u64>, reserved: usize) -> usize {
    let Some(limit) = open_files else {
        return requested;
    };
    let room = limit.saturating_sub(reserved as u64).max(1);
    requested.min(usize::try_from(room).unwrap_or(usize::MAX))
}

#[cfg(target_os = "linux")]
fn soft_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

#[cfg(not(target_os = "linux"))]
fn soft_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_leave_room_for_the_reserved_descriptors() {
        assert_eq!(clamp(10_000, Some(1024), 100), 924);
        assert_eq!(clamp(500, Some(1024), 100), 500);
        assert_eq!(clamp(10_000, Some(50), 100), 1, "never none at all");
        assert_eq!(clamp(10_000, None, 100), 10_000, "no limit, no clamp");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_limit_of_this_process_is_read() {
        let cap = connection_cap(usize::MAX, RESERVED_FILES);
        let limit = cap.open_files.expect("a test process has a finite limit");
        assert!(cap.connections as u64 <= limit.saturating_sub(RESERVED_FILES as u64).max(1));
    }
}
