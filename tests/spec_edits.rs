//! The spec drives the compiler: adding an operation to the spec makes the build fail
//! naming the handler that is now missing; removing operations (all of version 1 here)
//! makes their leftover handlers fail to compile. Each case copies the crate to a temporary directory, edits the spec and
//! runs `cargo check` there (sharing one target directory under `target/`, so only the
//! first run pays for checking the dependencies).

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
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

/// A copy of the service crate (and the generator it builds with) as a workspace of
/// its own, with `edit` applied to its spec.
fn crate_copy(edit: impl FnOnce(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = root();
    for sub in ["src", "spec", "codegen"] {
        copy_dir(&root.join(sub), &dir.path().join(sub));
    }
    for file in ["build.rs", "Cargo.lock"] {
        fs::copy(root.join(file), dir.path().join(file)).expect("copy");
    }
    let manifest = fs::read_to_string(root.join("Cargo.toml")).expect("manifest");
    let members_start = manifest.find("members = [").expect("a members list");
    let members_end = members_start + manifest[members_start..].find(']').expect("closed list") + 1;
    let manifest = format!(
        "{}members = [\".\", \"codegen\"]{}",
        &manifest[..members_start],
        &manifest[members_end..]
    );
    fs::write(dir.path().join("Cargo.toml"), manifest).expect("write manifest");
    let spec_path = dir.path().join("spec/openapi.yaml");
    let spec = fs::read_to_string(&spec_path).expect("spec");
    fs::write(&spec_path, edit(spec)).expect("write spec");
    dir
}

/// `cargo check` of the copy: success, and what the compiler said.
fn check(dir: &Path) -> (bool, String) {
    let output = Command::new(env!("CARGO"))
        .args(["check", "--offline", "--quiet", "--lib", "--bins"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", root().join("target").join("spec-edits"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
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
