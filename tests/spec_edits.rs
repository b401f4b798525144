//! The spec drives the compiler: adding an operation to the spec makes the build fail
//! naming the handler that is now missing; removing operations (all of version 1 here)
//! makes their leftover handlers fail to compile; changing an `x-rate-limit` changes what
//! the rebuilt server enforces, with no code change. Each case copies the crate to a
//! temporary directory, edits the spec and runs cargo there (sharing one target directory
//! under `target/`, so only the first run pays for the dependencies).

use std::{
    fs,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const NEW_OPERATION: &str = r##"  /v1/products/{product_id}/reviews:
    get:
      operationId: listProductReviews
      summary: Reviews of a product
      tags: [products]
      parameters:
        - name: product_id
          in: path
          required: true
          description: The product's id.
          schema:
            type: integer
            format: int64
      responses:
        "200":
          description: The reviews.
          content:
            application/json:
              schema:
                type: array
                items:
                  $ref: "#/components/schemas/Product"

"##;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create dir");
    for entry in fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A copy of the service crate (and the generator and runtime it builds with) as a workspace of
/// its own, with `edit` applied to its spec.
fn crate_copy(edit: impl FnOnce(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = root();
    for sub in ["src", "spec", "codegen", "runtime"] {
        copy_dir(&root.join(sub), &dir.path().join(sub));
    }
    for file in ["build.rs", "Cargo.lock"] {
        fs::copy(root.join(file), dir.path().join(file)).expect("copy");
    }
    let manifest = fs::read_to_string(root.join("Cargo.toml")).expect("manifest");
    let members_start = manifest.find("members = [").expect("a members list");
    let members_end = members_start + manifest[members_start..].find(']').expect("closed list") + 1;
    let manifest = format!(
        "{}members = [\".\", \"codegen\", \"runtime\"]{}",
        &manifest[..members_start],
        &manifest[members_end..]
    );
    fs::write(dir.path().join("Cargo.toml"), manifest).expect("write manifest");
    let spec_path = dir.path().join("spec/openapi.yaml");
    let spec = fs::read_to_string(&spec_path).expect("spec");
    fs::write(&spec_path, edit(spec)).expect("write spec");
    dir
}

fn target_dir() -> PathBuf {
    root().join("target").join("spec-edits")
}

/// `cargo <args>` in the copy: success, and what cargo and the compiler said.
fn cargo(dir: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO"))
        .args(args)
        .args(["--offline", "--quiet"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        // No debug info: the copies are compiled to be judged, not debugged, and debug
        // info is a good part of the time of building their dependencies.
        .env("CARGO_PROFILE_DEV_DEBUG", "0")
        .env("CARGO_INCREMENTAL", "0")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `cargo build` of the copy. A build, not a `check`: the rebuilt server below needs
/// one, and dependencies built for `check` (metadata only) are not reused by a build, so
/// checking here would compile every dependency twice.
fn check(dir: &Path) -> (bool, String) {
    cargo(dir, &["build", "--lib", "--bins"])
}

#[test]
fn the_spec_drives_the_compiler() {
    // Unedited, the copy compiles: the failures below come from the edits alone.
    let (ok, stderr) = check(crate_copy(|spec| spec).path());
    assert!(ok, "the unedited copy does not compile:\n{stderr}");

    // A new operation: the trait gains a method nobody implements.
    let added = crate_copy(|spec| {
        spec.replacen(
            "  /v1/products/{product_id}:\n",
            &format!("{NEW_OPERATION}  /v1/products/{{product_id}}:\n"),
            1,
        )
    });
    let (ok, stderr) = check(added.path());
    assert!(!ok, "adding an operation to the spec must break the build");
    assert!(
        stderr.contains("not all trait items implemented, missing: `list_product_reviews`"),
        "the error must name the missing handler:\n{stderr}"
    );

    // Version 1 removed: every `/v1/...` path deleted. Handlers v2 shares stay; the one
    // only v1 had (offset listing) is left over and no longer compiles.
    let removed = crate_copy(|spec| {
        let mut kept = Vec::new();
        let mut in_v1 = false;
        for line in spec.split_inclusive('\n') {
            if line.starts_with("  /") {
                in_v1 = line.starts_with("  /v1/");
            } else if !line.starts_with(' ') && !line.trim().is_empty() {
                in_v1 = false;
            }
            if !in_v1 {
                kept.push(line);
            }
        }
        kept.concat()
    });
    let (ok, stderr) = check(removed.path());
    assert!(!ok, "removing v1 from the spec must break the build");
    assert!(
        stderr.contains("method `list_products` is not a member of trait `ProductsApi`"),
        "the error must name the handler only v1 had:\n{stderr}"
    );
    assert!(
        !stderr.contains("method `create_user` is not a member"),
        "handlers v2 shares must survive:\n{stderr}"
    );
}

/// The server binary built from a copy, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary `cargo build` left in the shared target directory, on a free port
/// and a database of its own, and waits until it answers.
async fn start_built_server(data: &Path) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let log = fs::File::create(data.join("server.log")).expect("log file");
    let child = Command::new(target_dir().join("debug").join("apiary"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("APP_ENV", "test")
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", data.join("apiary.db").display()),
        )
        .env("RUST_LOG", "warn")
        // Nothing to search for is needed: only the limit's answers are judged.
        .env("SEED_DEMO_DATA", "off")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the rebuilt server starts");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    // Catches a server that never comes up, not a slow one.
    let deadline = Instant::now() + Duration::from_secs(300);
    let client = reqwest::Client::new();
    loop {
        let up = client
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if up {
            return server;
        }
        assert!(
            Instant::now() < deadline,
            "the rebuilt server did not answer within 300 s:\n{}",
            fs::read_to_string(data.join("server.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_limit_edited_in_the_spec_is_enforced_after_a_rebuild() {
    // The shipped spec gives searchProducts 30 requests a minute; the copy gets 3.
    const SHIPPED: &str = "x-rate-limit: &searchProductsLimit\n        requests: 30\n";
    const EDITED: &str = "x-rate-limit: &searchProductsLimit\n        requests: 3\n";
    let spec = fs::read_to_string(root().join("spec/openapi.yaml")).expect("spec");
    assert!(
        spec.contains(SHIPPED),
        "the shipped searchProducts limit moved; update this test"
    );
    let copy = crate_copy(|spec| spec.replacen(SHIPPED, EDITED, 1));
    let dir = copy.path().to_path_buf();
    let (ok, stderr) =
        tokio::task::spawn_blocking(move || cargo(&dir, &["build", "--bin", "apiary"]))
            .await
            .expect("the build task");
    assert!(
        ok,
        "the copy with an edited limit does not build:\n{stderr}"
    );

    let data = tempfile::tempdir().expect("data dir");
    let server = start_built_server(data.path()).await;
    let client = reqwest::Client::new();
    let search = format!("{}/v1/products/search?q=lamp", server.base);
    for n in 1..=3 {
        let response = client.get(&search).send().await.expect("a search");
        assert_eq!(
            response.status(),
            200,
            "search {n} of 3 is within the edited limit"
        );
        let limit = response
            .headers()
            .get("ratelimit-limit")
            .map(|v| v.to_str().unwrap_or("").to_owned());
        assert_eq!(limit.as_deref(), Some("3"), "the edited limit is announced");
    }
    let refused = client.get(&search).send().await.expect("a search");
    assert_eq!(
        refused.status(),
        429,
        "the fourth search is over the edited limit"
    );
    assert!(refused.headers().contains_key("retry-after"));
}
