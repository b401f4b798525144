//! `images` tag: uploads (raw bytes and multipart, good and bad), the job's status, and
//! the variants with their ETags.

use std::{io::Cursor, time::Duration};

use apiary_conformance::{Contract, Reply, TestServer};
use serde_json::Value;

use super::{
    V,
    auth::{ghost_token, token_for, with_two_credentials},
    users::{register, unique_email},
};

const PASSWORD: &str = "correct-horse-7";
const BOUNDARY: &str = "apiary-test-boundary";

pub fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbaImage::from_fn(width, height, |x, y| {
        image::Rgba([(x % 256) as u8, (y % 256) as u8, 90, 255])
    });
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 200])
    });
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// A PNG whose header claims `width` x `height` pixels and holds none.
fn png_bomb(width: u32, height: u32) -> Vec<u8> {
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
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
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

/// A multipart body with the given (field name, file name, bytes) parts.
pub fn multipart(parts: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; \
                 filename=\"{file_name}\"\r\nContent-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

pub async fn new_user_token(server: &TestServer, contract: &Contract, prefix: &str) -> String {
    let email = unique_email(prefix);
    register(server, contract, &email, PASSWORD).await;
    token_for(server, contract, &email, PASSWORD).await
}

pub async fn upload_raw(
    server: &TestServer,
    contract: &Contract,
    v: V,
    token: &str,
    bytes: Vec<u8>,
) -> Reply {
    contract
        .send(
            &v.op("uploadImage"),
            server
                .http
                .post(v.url(server, "/images"))
                .bearer_auth(token)
                .header("content-type", "application/octet-stream")
                .body(bytes),
        )
        .await
}

async fn upload_multipart(
    server: &TestServer,
    contract: &Contract,
    v: V,
    token: &str,
    body: Vec<u8>,
) -> Reply {
    contract
        .send(
            &v.op("uploadImage"),
            server
                .http
                .post(v.url(server, "/images"))
                .bearer_auth(token)
                .header("content-type", multipart_type())
                .body(body),
        )
        .await
}

/// Polls the image until its job ends, and returns it.
pub async fn wait_until_finished(
    server: &TestServer,
    contract: &Contract,
    v: V,
    token: &str,
    id: &str,
) -> Value {
    for _ in 0..300 {
        let reply = contract
            .send(
                &v.op("getImage"),
                server
                    .http
                    .get(v.url(server, &format!("/images/{id}")))
                    .bearer_auth(token),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let image = reply.json();
        if image["status"] != "processing" {
            return image;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("image {id} was still processing after 30 s");
}

fn png_dimensions(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

pub async fn exercise(server: &TestServer, contract: &Contract, v: V) {
    let http = &server.http;
    let token = new_user_token(server, contract, "images").await;
    let other = new_user_token(server, contract, "images-other").await;
    let prefix = format!("/{}", v.0);

    // Raw bytes: accepted with Location and a status URL, before any resizing.
    let accepted = upload_raw(server, contract, v, &token, png(2000, 1000)).await;
    assert_eq!(accepted.status, 202, "{}", accepted.text());
    let job = accepted.json();
    let id = job["id"].as_str().expect("an id").to_string();
    assert_eq!(job["status"], "processing");
    assert_eq!(
        accepted.header("location"),
        Some(format!("{prefix}/images/{id}").as_str())
    );
    assert_eq!(job["status_url"], format!("{prefix}/images/{id}"));

    // Someone else's image does not exist for them; nor does an unknown id.
    for (who, image_id) in [
        (other.as_str(), id.clone()),
        (token.as_str(), uuid::Uuid::new_v4().to_string()),
    ] {
        let hidden = contract
            .send(
                &v.op("getImage"),
                http.get(v.url(server, &format!("/images/{image_id}")))
                    .bearer_auth(who),
            )
            .await;
        assert_eq!(hidden.status, 404);
        let hidden = contract
            .send(
                &v.op("getImageVariant"),
                http.get(v.url(server, &format!("/images/{image_id}/variants/thumb")))
                    .bearer_auth(who),
            )
            .await;
        assert_eq!(hidden.status, 404);
    }

    // Done: three variants, aspect kept, fetched with a strong ETag.
    let image = wait_until_finished(server, contract, v, &token, &id).await;
    assert_eq!(image["status"], "done", "{image}");
    assert_eq!(image["original"]["width"], 2000);
    assert_eq!(image["original"]["content_type"], "image/png");
    assert!(image["completed_at"].is_string());
    assert!(image["error"].is_null());
    for (size, width, height) in [
        ("thumb", 150, 75),
        ("medium", 600, 300),
        ("large", 1200, 600),
    ] {
        let variant = &image["variants"][size];
        assert_eq!(
            (variant["width"].clone(), variant["height"].clone()),
            (width.into(), height.into())
        );
        let url = variant["url"].as_str().expect("a url");
        assert_eq!(url, format!("{prefix}/images/{id}/variants/{size}"));
        let bytes = contract
            .send(
                &v.op("getImageVariant"),
                http.get(server.url(url)).bearer_auth(&token),
            )
            .await;
        assert_eq!(bytes.status, 200);
        assert_eq!(bytes.header("content-type"), Some("image/png"));
        assert_eq!(png_dimensions(&bytes.body), (width, height));
        assert_eq!(variant["bytes"], bytes.body.len());
        let etag = bytes.header("etag").expect("an ETag").to_string();
        assert!(
            etag.starts_with('"') && !etag.starts_with("W/"),
            "strong: {etag}"
        );
        let unchanged = contract
            .send(
                &v.op("getImageVariant"),
                http.get(server.url(url))
                    .bearer_auth(&token)
                    .header("if-none-match", &etag),
            )
            .await;
        assert_eq!(unchanged.status, 304);
        assert!(unchanged.body.is_empty());
        assert_eq!(unchanged.header("etag"), Some(etag.as_str()));
        let changed = contract
            .send(
                &v.op("getImageVariant"),
                http.get(server.url(url))
                    .bearer_auth(&token)
                    .header("if-none-match", "\"something-else\""),
            )
            .await;
        assert_eq!(changed.status, 200);
    }

    // Multipart, with a hostile file name that nobody reads; a JPEG stays a JPEG.
    let accepted = upload_multipart(
        server,
        contract,
        v,
        &token,
        multipart(&[("file", "../../../etc/passwd.png", &jpeg(640, 480))]),
    )
    .await;
    assert_eq!(accepted.status, 202, "{}", accepted.text());
    let jpeg_id = accepted.json()["id"].as_str().unwrap().to_string();
    let image = wait_until_finished(server, contract, v, &token, &jpeg_id).await;
    assert_eq!(image["status"], "done", "{image}");
    assert_eq!(image["original"]["content_type"], "image/jpeg");
    assert_eq!(image["variants"]["large"]["width"], 640, "never enlarged");
    assert_eq!(image["variants"]["thumb"]["content_type"], "image/jpeg");
    let thumb = contract
        .send(
            &v.op("getImageVariant"),
            http.get(v.url(server, &format!("/images/{jpeg_id}/variants/thumb")))
                .bearer_auth(&token),
        )
        .await;
    assert_eq!(thumb.header("content-type"), Some("image/jpeg"));

    // Parameters that break the spec.
    let not_an_id = contract
        .send(
            &v.op("getImage"),
            http.get(v.url(server, "/images/not-a-uuid"))
                .bearer_auth(&token),
        )
        .await;
    assert_eq!(not_an_id.status, 422);
    let no_such_size = contract
        .send(
            &v.op("getImageVariant"),
            http.get(v.url(server, &format!("/images/{id}/variants/huge")))
                .bearer_auth(&token),
        )
        .await;
    assert_eq!(no_such_size.status, 422);

    // No token.
    let anonymous = contract
        .send(
            &v.op("uploadImage"),
            http.post(v.url(server, "/images"))
                .header("content-type", "application/octet-stream")
                .body(png(10, 10)),
        )
        .await;
    assert_eq!(anonymous.status, 401);
    for (op, path) in [
        ("getImage", format!("/images/{id}")),
        ("getImageVariant", format!("/images/{id}/variants/thumb")),
    ] {
        let anonymous = contract
            .send(&v.op(op), http.get(v.url(server, &path)))
            .await;
        assert_eq!(anonymous.status, 401);
        let twice = contract
            .send(
                &v.op(op),
                with_two_credentials(http.get(v.url(server, &path)), &token),
            )
            .await;
        assert_eq!(twice.status, 400, "{op}: two Authorization headers");
    }
    // A valid token of a user who does not exist stores nothing.
    let ghost = contract
        .send(
            &v.op("uploadImage"),
            http.post(v.url(server, "/images"))
                .bearer_auth(ghost_token(747_474))
                .header("content-type", "application/octet-stream")
                .body(png(10, 10)),
        )
        .await;
    assert_eq!(ghost.status, 401);

    exercise_other_spellings_of_an_id(server, contract, v, &token, &id).await;
    exercise_bad_uploads(server, contract, v, &token).await;
}

/// Every way an upload is refused before anything is stored.
async fn exercise_bad_uploads(server: &TestServer, contract: &Contract, v: V, token: &str) {
    let text = b"hello, I am not a picture".to_vec();
    let truncated = {
        let whole = jpeg(640, 480);
        whole[..whole.len() / 2].to_vec()
    };
    let cases: Vec<(&str, Reply, u16)> = vec![
        (
            "text as raw bytes",
            upload_raw(server, contract, v, token, text.clone()).await,
            415,
        ),
        (
            "text named .png",
            upload_multipart(
                server,
                contract,
                v,
                token,
                multipart(&[("file", "cat.png", &text)]),
            )
            .await,
            415,
        ),
        (
            "an empty body",
            upload_raw(server, contract, v, token, Vec::new()).await,
            422,
        ),
        (
            "an empty file",
            upload_multipart(
                server,
                contract,
                v,
                token,
                multipart(&[("file", "a.png", b"")]),
            )
            .await,
            422,
        ),
        (
            "a truncated JPEG",
            upload_raw(server, contract, v, token, truncated).await,
            422,
        ),
        (
            "a decompression bomb",
            upload_raw(server, contract, v, token, png_bomb(50_000, 50_000)).await,
            422,
        ),
        (
            "two file fields",
            upload_multipart(
                server,
                contract,
                v,
                token,
                multipart(&[("file", "a.png", &png(4, 4)), ("file", "b.png", &png(4, 4))]),
            )
            .await,
            422,
        ),
        (
            "another field",
            upload_multipart(
                server,
                contract,
                v,
                token,
                multipart(&[("picture", "a.png", &png(4, 4))]),
            )
            .await,
            422,
        ),
        (
            "no boundary",
            contract
                .send(
                    &v.op("uploadImage"),
                    server
                        .http
                        .post(v.url(server, "/images"))
                        .bearer_auth(token)
                        .header("content-type", "multipart/form-data")
                        .body(multipart(&[("file", "a.png", &png(4, 4))])),
                )
                .await,
            400,
        ),
        (
            "a cut-off multipart body",
            upload_multipart(server, contract, v, token, {
                let mut body = multipart(&[("file", "a.png", &png(4, 4))]);
                body.truncate(body.len() - 30);
                body
            })
            .await,
            400,
        ),
        (
            "a JSON body",
            contract
                .send(
                    &v.op("uploadImage"),
                    server
                        .http
                        .post(v.url(server, "/images"))
                        .bearer_auth(token)
                        .header("content-type", "application/json")
                        .body("{}"),
                )
                .await,
            415,
        ),
        (
            "over 10 MiB",
            upload_raw(server, contract, v, token, vec![0x89; 10 * 1024 * 1024 + 1]).await,
            413,
        ),
        (
            "over 10 MiB in a multipart body",
            upload_multipart(
                server,
                contract,
                v,
                token,
                multipart(&[("file", "big.png", &vec![0x89; 10 * 1024 * 1024])]),
            )
            .await,
            413,
        ),
    ];
    for (what, reply, status) in cases {
        assert_eq!(reply.status, status, "{what}: {}", reply.text());
        if status == 422 {
            let problem = reply.json();
            let errors = problem["errors"].as_array().expect("an `errors` list");
            assert_eq!(errors.len(), 1, "{what}: {problem}");
            assert_eq!(errors[0]["field"], "file", "{what}: {problem}");
            assert_eq!(errors[0]["message"], problem["detail"], "{what}: {problem}");
        }
    }
    assert_eq!(
        chunked_upload_status(server, v, token, 11 * 1024 * 1024).await,
        413,
        "a body without a length is refused while it streams"
    );
}

/// Streams `size` bytes with chunked encoding (no Content-Length) and returns the
/// status the server answers, which it may do before the body is all sent.
async fn chunked_upload_status(server: &TestServer, v: V, token: &str, size: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(server.address)
        .await
        .unwrap();
    let head = format!(
        "POST /{}/images HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
        v.0, server.address
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![0x89u8; 64 * 1024];
    let mut sent = 0;
    while sent < size {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if socket.write_all(&frame).await.is_err() {
            break; // the server stopped reading: it has answered
        }
        sent += chunk.len();
    }
    let _ = socket.write_all(b"0\r\n\r\n").await;
    let mut answer = vec![0u8; 1024];
    let read = socket.read(&mut answer).await.unwrap();
    let line = String::from_utf8_lossy(&answer[..read]);
    line.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// A 409 needs a job still processing: a server without workers never finishes one. The
/// same server keeps one image per user, so a second upload is the other 409.
pub async fn exercise_still_processing(postgres: Option<&str>, contract: &Contract) {
    let server = TestServer::spawn_with(
        postgres,
        &[("IMAGE_WORKERS", "0"), ("IMAGE_MAX_PER_USER", "1")],
    )
    .await;
    for v in [V("v1"), V("v2")] {
        let token = new_user_token(&server, contract, "images-idle").await;
        let accepted = upload_raw(&server, contract, v, &token, png(300, 200)).await;
        assert_eq!(accepted.status, 202);
        let id = accepted.json()["id"].as_str().unwrap().to_string();
        let busy = contract
            .send(
                &v.op("getImageVariant"),
                server
                    .http
                    .get(v.url(&server, &format!("/images/{id}/variants/medium")))
                    .bearer_auth(&token),
            )
            .await;
        assert_eq!(busy.status, 409);
        let image = contract
            .send(
                &v.op("getImage"),
                server
                    .http
                    .get(v.url(&server, &format!("/images/{id}")))
                    .bearer_auth(&token),
            )
            .await;
        assert_eq!(image.json()["status"], "processing");
        assert!(image.json()["variants"].is_null());
        assert!(image.json()["completed_at"].is_null());

        let full = upload_raw(&server, contract, v, &token, png(30, 20)).await;
        assert_eq!(full.status, 409, "{}", full.text());
        assert!(
            full.json()["detail"]
                .as_str()
                .is_some_and(|detail| detail.contains("the most one user may keep")),
            "{}",
            full.text()
        );
    }
}

/// An id is written back in its canonical form only: the hyphenated form in capitals is
/// the same image (its URLs in lower case); other spellings the parser would read are
/// refused with a 422 naming `image_id`.
async fn exercise_other_spellings_of_an_id(
    server: &TestServer,
    contract: &Contract,
    v: V,
    token: &str,
    id: &str,
) {
    let http = &server.http;
    let prefix = format!("/{}", v.0);
    let shouted = contract
        .send(
            &v.op("getImage"),
            http.get(v.url(server, &format!("/images/{}", id.to_uppercase())))
                .bearer_auth(token),
        )
        .await;
    assert_eq!(shouted.status, 200, "{}", shouted.text());
    let image = shouted.json();
    assert_eq!(image["id"], id);
    assert_eq!(
        image["variants"]["thumb"]["url"],
        format!("{prefix}/images/{id}/variants/thumb")
    );
    let simple = id.replace('-', "");
    for spelling in [
        format!("urn:uuid:{id}"),
        format!("{{{id}}}"),
        format!("%7B{id}%7D"),
        simple,
    ] {
        for (op, path) in [
            ("getImage", format!("/images/{spelling}")),
            (
                "getImageVariant",
                format!("/images/{spelling}/variants/thumb"),
            ),
        ] {
            let refused = contract
                .send(&v.op(op), http.get(v.url(server, &path)).bearer_auth(token))
                .await;
            assert_eq!(refused.status, 422, "{op} {spelling}: {}", refused.text());
            assert_eq!(refused.json()["errors"][0]["field"], "image_id");
        }
    }
}
