//! A Redis stream as the job queue, shared by every process that names the same
//! stream: one entry per job, one consumer group `workers`, one consumer per process.
//! A claim is `XAUTOCLAIM` of an entry left pending longer than the visibility timeout
//! (its worker died), else `XREADGROUP` of a new one, in one script. A running worker
//! renews its claim by resetting the entry's idle time (`XCLAIM` by its own consumer).
//! Finishing is `XACK` + `XDEL`; a retry moves the job to a sorted set of delayed
//! jobs, due by time, which the next claim moves back into the stream. Each change is
//! atomic (a script or `MULTI`), so a job is always in the stream, pending, or delayed:
//! never lost.

use std::time::Duration;

use anyhow::Context;
use redis::{AsyncCommands, Script, aio::ConnectionManager};
use uuid::Uuid;

use super::{JobQueue, Lease};

const GROUP: &str = "workers";

/// Moves due delayed jobs into the stream, then claims an abandoned entry or a new one.
/// KEYS: stream, delayed. ARGV: group, consumer, min idle ms, now ms.
const CLAIM: &str = r"
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[4], 'LIMIT', 0, 16)
for _, id in ipairs(due) do
  if redis.call('ZREM', KEYS[2], id) == 1 then
    redis.call('XADD', KEYS[1], '*', 'image_id', id)
  end
end
local stale = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], '0-0', 'COUNT', 1)
local entry = stale[2][1]
if not entry then
  local fresh = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', 1, 'STREAMS', KEYS[1], '>')
  if fresh and fresh[1] then entry = fresh[1][2][1] end
end
if not entry then return false end
return {entry[1], entry[2][2]}
";

/// Resets the idle time of an entry this consumer holds; 0 when it holds it no more.
/// KEYS: stream. ARGV: group, consumer, entry id.
///
/// The consumer is the process, not the worker: when a lease ran out (its renewals
/// failed for a whole timeout) and another worker of the same process reclaimed the
/// entry, the old lease still reads as held, and both workers renew it. The job then
/// runs twice, which jobs are built to bear; across processes a takeover reads as lost.
const EXTEND: &str = r"
local held = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2])
if #held == 0 then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
return 1
";

pub struct RedisQueue {
    client: redis::Client,
    /// Connected on first use, so the service starts while Redis is down.
    conn: tokio::sync::OnceCell<ConnectionManager>,
    stream: String,
    delayed: String,
    consumer: String,
    visibility: Duration,
    claim: Script,
    extend: Script,
}

impl RedisQueue {
    /// The queue named `name` at `url`, connected on first use.
    pub fn new(url: &str, name: &str, visibility: Duration) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).context("REDIS_URL is not a Redis URL")?;
        Ok(Self {
            client,
            conn: tokio::sync::OnceCell::new(),
            delayed: format!("{name}:delayed"),
            stream: format!("{name}:jobs"),
            consumer: format!("worker-{}", Uuid::new_v4().simple()),
            visibility,
            claim: Script::new(CLAIM),
            extend: Script::new(EXTEND),
        })
    }

    /// `new`, connected now.
    pub async fn connect(url: &str, name: &str, visibility: Duration) -> anyhow::Result<Self> {
        let queue = Self::new(url, name, visibility)?;
        queue.conn().await?;
        Ok(queue)
    }

    /// The connection, made (with the stream and its consumer group) on first use.
    async fn conn(&self) -> anyhow::Result<ConnectionManager> {
        let conn = self
            .conn
            .get_or_try_init(|| async {
                let mut conn = tokio::time::timeout(
                    Duration::from_secs(10),
                    self.client.get_connection_manager(),
                )
                .await
                .context("Redis did not answer within 10 s")?
                .context("Failed to connect to Redis")?;
                let created: redis::RedisResult<()> = redis::cmd("XGROUP")
                    .arg("CREATE")
                    .arg(&self.stream)
                    .arg(GROUP)
                    .arg("0")
                    .arg("MKSTREAM")
                    .query_async(&mut conn)
                    .await;
                match created {
                    Ok(()) => {}
                    Err(error) if error.code() == Some("BUSYGROUP") => {}
                    Err(error) => {
                        return Err(error).context("Failed to create the job consumer group");
                    }
                }
                anyhow::Ok(conn)
            })
            .await?;
        Ok(conn.clone())
    }

    fn now_ms() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }
}

#[async_trait::async_trait]
impl JobQueue for RedisQueue {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn push(&self, image_id: Uuid) -> anyhow::Result<()> {
        let mut conn = self.conn().await?;
        let _: String = conn
            .xadd(&self.stream, "*", &[("image_id", image_id.to_string())])
            .await?;
        Ok(())
    }

    async fn claim(&self) -> anyhow::Result<Option<Lease>> {
        let mut conn = self.conn().await?;
        let claimed: Option<(String, String)> = self
            .claim
            .key(&self.stream)
            .key(&self.delayed)
            .arg(GROUP)
            .arg(&self.consumer)
            .arg(self.visibility.as_millis() as u64)
            .arg(Self::now_ms())
            .invoke_async(&mut conn)
            .await?;
        let Some((entry, image_id)) = claimed else {
            return Ok(None);
        };
        match image_id.parse() {
            Ok(image_id) => Ok(Some(Lease {
                image_id,
                token: entry,
            })),
            Err(_) => {
                // Not one of ours: drop it rather than hand it out forever.
                tracing::warn!(entry, image_id, "dropping a malformed job entry");
                self.ack(&Lease {
                    image_id: Uuid::nil(),
                    token: entry,
                })
                .await?;
                Ok(None)
            }
        }
    }

    fn visibility(&self) -> Duration {
        self.visibility
    }

    async fn extend(&self, lease: &Lease) -> anyhow::Result<bool> {
        let mut conn = self.conn().await?;
        let held: i64 = self
            .extend
            .key(&self.stream)
            .arg(GROUP)
            .arg(&self.consumer)
            .arg(&lease.token)
            .invoke_async(&mut conn)
            .await?;
        Ok(held == 1)
    }

    async fn ack(&self, lease: &Lease) -> anyhow::Result<()> {
        let mut conn = self.conn().await?;
        let _: () = redis::pipe()
            .atomic()
            .xack(&self.stream, GROUP, &[&lease.token])
            .ignore()
            .xdel(&self.stream, &[&lease.token])
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    async fn retry(&self, lease: &Lease, after: Duration) -> anyhow::Result<()> {
        let mut conn = self.conn().await?;
        let due = Self::now_ms() + after.as_millis() as u64;
        let _: () = redis::pipe()
            .atomic()
            .zadd(&self.delayed, lease.image_id.to_string(), due)
            .ignore()
            .xack(&self.stream, GROUP, &[&lease.token])
            .ignore()
            .xdel(&self.stream, &[&lease.token])
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    async fn release(&self, lease: &Lease) -> anyhow::Result<()> {
        self.retry(lease, Duration::ZERO).await
    }

    async fn depth(&self) -> anyhow::Result<u64> {
        let mut conn = self.conn().await?;
        let (stream, delayed): (u64, u64) = redis::pipe()
            .xlen(&self.stream)
            .zcard(&self.delayed)
            .query_async(&mut conn)
            .await?;
        Ok(stream + delayed)
    }

    async fn wait(&self, timeout: Duration) {
        // Jobs may come from any process: poll.
        tokio::time::sleep(timeout.min(Duration::from_millis(200))).await;
    }
}
