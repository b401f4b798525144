//! `SpecMultipart<T>`: a `multipart/form-data` body read into the generated struct `T`
//! (a `poem_openapi::Multipart`), its parts streamed under the request's body limit: a
//! body that passes the limit is a 413 as soon as it does, whether or not it declared
//! its length, and nothing beyond the limit is read.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use futures_util::StreamExt;
use poem::{Request, RequestBody};
use poem_openapi::{
    payload::{ParsePayload, Payload},
    registry::{MetaSchemaRef, Registry},
};

use crate::body::{BodyLimit, body_extractor, body_too_large};

/// The parts of a multipart body, read by `T` from a stream cut at the body limit.
#[derive(Debug)]
pub struct SpecMultipart<T>(pub T);

impl<T: Payload> Payload for SpecMultipart<T> {
    const CONTENT_TYPE: &'static str = T::CONTENT_TYPE;

    fn check_content_type(content_type: &str) -> bool {
        T::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Payload + ParsePayload> ParsePayload for SpecMultipart<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let limit = BodyLimit::of(request);
        let over = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&over);
        // The chunks as they come, until one passes the limit: that one is an error
        // and ends the stream.
        let stream =
            body.take()?
                .into_bytes_stream()
                .scan((0usize, false), move |(seen, cut), chunk| {
                    let item = if *cut {
                        None
                    } else {
                        Some(chunk.and_then(|bytes| {
                            *seen = seen.saturating_add(bytes.len());
                            if *seen > limit {
                                *cut = true;
                                flag.store(true, Ordering::SeqCst);
                                Err(std::io::Error::other("the body is over the limit"))
                            } else {
                                Ok(bytes)
                            }
                        }))
                    };
                    std::future::ready(item)
                });
        *body = RequestBody::new(poem::Body::from_bytes_stream(stream));
        match T::from_request(request, body).await {
            Ok(value) => Ok(Self(value)),
            Err(_) if over.load(Ordering::SeqCst) => Err(body_too_large(limit).into()),
            Err(error) => Err(error),
        }
    }
}

body_extractor!([T: Payload + ParsePayload] SpecMultipart<T>);

#[cfg(test)]
mod tests {
    use poem_openapi::{payload::ParsePayload, types::multipart::Upload};

    use super::SpecMultipart;
    use crate::body::BodyLimit;
    use crate::problem::Refusal;

    #[derive(Debug, poem_openapi::Multipart)]
    struct Parts {
        file: Upload,
        title: String,
        pages: Option<i32>,
    }

    const CONTENT_TYPE: &str = "multipart/form-data; boundary=XyZ";

    fn body(parts: &[(&str, Option<&str>, &str)]) -> String {
        let mut body = String::new();
        for (name, filename, value) in parts {
            body.push_str("--XyZ\r\n");
            match filename {
                Some(filename) => body.push_str(&format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                     Content-Type: text/plain\r\n\r\n"
                )),
                None => body.push_str(&format!(
                    "Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                )),
            }
            body.push_str(value);
            body.push_str("\r\n");
        }
        body.push_str("--XyZ--\r\n");
        body
    }

    /// Reads `chunks` (sent without a length) as `Parts` under a body limit of `limit`.
    async fn read(chunks: Vec<String>, limit: usize) -> poem::Result<Parts> {
        let chunks: Vec<Result<bytes::Bytes, std::io::Error>> =
            chunks.into_iter().map(|c| Ok(c.into())).collect();
        let (request, mut body) = poem::Request::builder()
            .content_type(CONTENT_TYPE)
            .extension(BodyLimit(limit))
            .body(poem::Body::from_bytes_stream(futures_util::stream::iter(
                chunks,
            )))
            .split();
        <SpecMultipart<Parts> as ParsePayload>::from_request(&request, &mut body)
            .await
            .map(|parts| parts.0)
    }

    #[tokio::test]
    async fn reads_each_named_part_as_its_type() {
        let body = body(&[
            ("title", None, "Minutes"),
            ("pages", None, "12"),
            ("file", Some("minutes.txt"), "the minutes"),
        ]);
        let parts = read(vec![body], 10_000).await.expect("read");
        assert_eq!(parts.title, "Minutes");
        assert_eq!(parts.pages, Some(12));
        assert_eq!(parts.file.file_name(), Some("minutes.txt"));
        assert_eq!(parts.file.into_vec().await.expect("bytes"), b"the minutes");
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_a_413_as_it_streams_in() {
        let body = body(&[
            ("title", None, "Minutes"),
            ("file", Some("big.txt"), &"x".repeat(4096)),
        ]);
        let (head, tail) = body.split_at(100);
        let error = read(vec![head.to_string(), tail.to_string()], 1024)
            .await
            .expect_err("over the limit");
        let refusal = error.downcast_ref::<Refusal>().expect("a problem");
        assert_eq!(refusal.status, 413);
    }

    #[tokio::test]
    async fn a_missing_part_under_the_limit_is_not_a_413() {
        let body = body(&[("file", Some("a.txt"), "a")]);
        let error = read(vec![body], 10_000).await.expect_err("no title");
        assert!(error.downcast_ref::<Refusal>().is_none(), "{error}");
        assert_eq!(error.status(), 400);
    }
}
