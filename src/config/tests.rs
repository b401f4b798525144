//! Tests of configuration parsing, through injected environments only.

use std::{collections::HashMap, path::PathBuf, time::Duration};

use super::*;

const SECRET: &str = "0123456789abcdef0123456789abcdef-current";
const OLD_SECRET: &str = "0123456789abcdef0123456789abcdef-previous";

fn load(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let env: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Settings::from_lookup(|name| env.get(name).cloned())
}

#[test]
fn an_empty_environment_gives_the_documented_defaults() {
    let settings = load(&[]).expect("defaults are valid");
    assert_eq!(settings.app_env, AppEnv::Development);
    assert_eq!(settings.bind_addr, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(
        settings.metrics_addr, None,
        "metrics on the main address by default"
    );
    assert_eq!(settings.log_format, LogFormat::Pretty);
    assert_eq!(settings.max_body_bytes, 65_536);
    assert_eq!(settings.database.url, "sqlite://data/apiary.db?mode=rwc");
    assert_eq!(settings.database.max_connections, 10);
    assert_eq!(settings.database.connect_timeout, Duration::from_secs(5));
    assert_eq!(settings.database.acquire_timeout, Duration::from_secs(5));
    assert_eq!(settings.database.max_lifetime, Duration::from_secs(1800));
    assert_eq!(settings.database.read_connections, 4);
    assert_eq!(settings.jwt.ttl, Duration::from_secs(900));
    assert_eq!(settings.jwt.issuer, "apiary");
    assert_eq!(settings.jwt.audience, "apiary-api");
    assert!(settings.jwt.previous_secrets.is_empty());
    assert_eq!(settings.bcrypt_cost, 12);
    assert_eq!(settings.bcrypt.nice, 10);
    assert_eq!(settings.bcrypt.max_wait, Duration::from_secs(5));
    // No secret outside production: a random one, flagged so the caller warns.
    assert!(settings.jwt.generated);
    assert!(settings.jwt.secret.expose().len() >= MIN_SECRET_BYTES);
    let other = load(&[]).expect("defaults are valid");
    assert_ne!(
        settings.jwt.secret, other.jwt.secret,
        "generated secrets must differ"
    );
}

#[test]
fn every_variable_is_read() {
    let settings = load(&[
        ("APP_ENV", "production"),
        ("BIND_ADDR", "0.0.0.0:9000"),
        ("LOG_FORMAT", "json"),
        ("MAX_BODY_BYTES", "1024"),
        ("DATABASE_URL", "postgres://app:pw@db:5432/apiary"),
        ("DATABASE_MAX_CONNECTIONS", "3"),
        ("DATABASE_CONNECT_TIMEOUT_SECS", "7"),
        ("DATABASE_ACQUIRE_TIMEOUT_SECS", "9"),
        ("DATABASE_MAX_LIFETIME_SECS", "600"),
        ("DATABASE_READ_CONNECTIONS", "0"),
        ("JWT_SECRET", SECRET),
        ("JWT_PREVIOUS_SECRETS", &format!("{OLD_SECRET}, {SECRET}x,")),
        ("JWT_TTL_SECS", "60"),
        ("JWT_ISSUER", "issuer"),
        ("JWT_AUDIENCE", "audience"),
        ("BCRYPT_COST", "10"),
        ("BCRYPT_CONCURRENCY", "3"),
        ("BCRYPT_NICE", "10"),
        ("BCRYPT_QUEUE_TIMEOUT_SECS", "30"),
        ("METRICS_ADDR", "10.0.0.5:9090"),
    ])
    .expect("valid");
    assert_eq!(
        settings.bcrypt,
        HashPool {
            concurrency: 3,
            nice: 10,
            max_wait: Duration::from_secs(30),
        }
    );
    assert_eq!(
        settings.metrics_addr,
        Some("10.0.0.5:9090".parse().unwrap())
    );
    assert_eq!(settings.app_env, AppEnv::Production);
    assert_eq!(settings.bind_addr, "0.0.0.0:9000".parse().unwrap());
    assert_eq!(settings.log_format, LogFormat::Json);
    assert_eq!(settings.max_body_bytes, 1024);
    assert_eq!(settings.database.url, "postgres://app:pw@db:5432/apiary");
    assert_eq!(settings.database.max_connections, 3);
    assert_eq!(settings.database.connect_timeout, Duration::from_secs(7));
    assert_eq!(settings.database.acquire_timeout, Duration::from_secs(9));
    assert_eq!(settings.database.max_lifetime, Duration::from_secs(600));
    assert_eq!(settings.database.read_connections, 0);
    assert_eq!(settings.jwt.secret.expose(), SECRET.as_bytes());
    assert!(!settings.jwt.generated);
    assert_eq!(settings.jwt.previous_secrets.len(), 2);
    assert_eq!(
        settings.jwt.previous_secrets[0].expose(),
        OLD_SECRET.as_bytes()
    );
    assert_eq!(settings.jwt.ttl, Duration::from_secs(60));
    assert_eq!(settings.jwt.issuer, "issuer");
    assert_eq!(settings.jwt.audience, "audience");
    assert_eq!(settings.bcrypt_cost, 10);
}

#[test]
fn empty_values_count_as_unset() {
    let settings =
        load(&[("BIND_ADDR", ""), ("JWT_SECRET", " "), ("BCRYPT_COST", "")]).expect("valid");
    assert_eq!(settings.bind_addr.port(), 8080);
    assert!(settings.jwt.generated);
    assert_eq!(settings.bcrypt_cost, 12);
}

#[test]
fn each_invalid_value_is_refused_naming_its_variable() {
    let short_list = format!("{OLD_SECRET},short");
    let cases: &[(&str, &str)] = &[
        ("APP_ENV", "staging"),
        ("BIND_ADDR", "localhost"),
        ("BIND_ADDR", "127.0.0.1:99999"),
        ("LOG_FORMAT", "xml"),
        ("MAX_BODY_BYTES", "0"),
        ("MAX_BODY_BYTES", "lots"),
        ("DATABASE_URL", "mysql://root@localhost/db"),
        ("DATABASE_MAX_CONNECTIONS", "0"),
        ("SEED_DEMO_DATA", "yes"),
        ("DATABASE_MAX_CONNECTIONS", "-1"),
        ("DATABASE_CONNECT_TIMEOUT_SECS", "0"),
        ("DATABASE_ACQUIRE_TIMEOUT_SECS", "1.5"),
        ("DATABASE_MAX_LIFETIME_SECS", "0"),
        ("DATABASE_READ_CONNECTIONS", "65"),
        ("DATABASE_READ_CONNECTIONS", "-1"),
        ("JWT_SECRET", "too-short"),
        ("JWT_PREVIOUS_SECRETS", &short_list),
        ("JWT_TTL_SECS", "0"),
        ("JWT_TTL_SECS", "86401"),
        ("BCRYPT_COST", "9"),
        ("BCRYPT_COST", "4"),
        ("BCRYPT_COST", "32"),
        ("BCRYPT_COST", "twelve"),
        ("BCRYPT_CONCURRENCY", "0"),
        ("BCRYPT_NICE", "20"),
        ("BCRYPT_NICE", "-5"),
        ("BCRYPT_QUEUE_TIMEOUT_SECS", "0"),
        ("BCRYPT_QUEUE_TIMEOUT_SECS", "0.5"),
        ("METRICS_ADDR", "9090"),
        ("CORS_ALLOWED_ORIGINS", "https://app.example.com/"),
        ("CORS_ALLOWED_ORIGINS", "*,https://app.example.com"),
        ("HTTP_HEADER_TIMEOUT_SECS", "0"),
        ("HTTP_HEADER_TIMEOUT_SECS", "soon"),
        ("HTTP_IDLE_TIMEOUT_SECS", "3601"),
        ("HTTP_BODY_TIMEOUT_SECS", "-1"),
        ("HTTP_MAX_CONNECTIONS", "0"),
        ("HTTP_MAX_H2_STREAMS", "0"),
        ("HTTP_MAX_H2_STREAMS", "many"),
    ];
    for (variable, value) in cases {
        let error =
            load(&[(variable, value)]).expect_err(&format!("{variable}={value} must be refused"));
        assert_eq!(error.variable, *variable, "{error}");
        let shown = error.to_string();
        assert!(shown.contains(variable), "{shown}");
        assert!(
            shown.len() > variable.len() + 30,
            "say what is allowed: {shown}"
        );
    }
}

#[test]
fn secret_errors_never_echo_the_secret() {
    let error = load(&[("JWT_SECRET", "hunter2-hunter2")]).expect_err("too short");
    assert!(!error.to_string().contains("hunter2"), "{error}");
    let error =
        load(&[("JWT_PREVIOUS_SECRETS", &format!("{OLD_SECRET},hunter2"))]).expect_err("too short");
    assert!(!error.to_string().contains("hunter2"), "{error}");
    assert!(error.to_string().contains("entry 2"), "{error}");
    let error = load(&[("DATABASE_URL", "mysql://root:hunter2@db/x")]).expect_err("scheme");
    assert!(!error.to_string().contains("hunter2"), "{error}");
}

#[test]
fn cheap_bcrypt_costs_are_for_tests_only() {
    assert_eq!(
        load(&[("APP_ENV", "test"), ("BCRYPT_COST", "4")])
            .unwrap()
            .bcrypt_cost,
        4
    );
    assert_eq!(
        load(&[("APP_ENV", "test"), ("BCRYPT_COST", "3")])
            .unwrap_err()
            .variable,
        "BCRYPT_COST"
    );
    let error = load(&[("BCRYPT_COST", "4")]).unwrap_err();
    assert!(error.message.contains("APP_ENV=test"), "{error}");
    assert_eq!(load(&[("BCRYPT_COST", "31")]).unwrap().bcrypt_cost, 31);
}

#[test]
fn production_refuses_to_start_without_a_secret() {
    let error = load(&[("APP_ENV", "production")]).expect_err("no secret");
    assert_eq!(error.variable, "JWT_SECRET");
    assert!(error.message.contains("required"), "{error}");
    let error = load(&[("APP_ENV", "production"), ("JWT_SECRET", "short")]).expect_err("short");
    assert_eq!(error.variable, "JWT_SECRET");
    let settings = load(&[("APP_ENV", "Production"), ("JWT_SECRET", SECRET)]).expect("valid");
    assert!(!settings.jwt.generated);
}

#[test]
fn debug_output_hides_secrets_and_passwords() {
    let settings = load(&[
        ("JWT_SECRET", SECRET),
        ("JWT_PREVIOUS_SECRETS", OLD_SECRET),
        ("DATABASE_URL", "postgres://app:hunter2@db:5432/apiary"),
    ])
    .expect("valid");
    let shown = format!("{settings:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(!shown.contains(OLD_SECRET), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        shown.contains("postgres://app:***@db:5432/apiary"),
        "{shown}"
    );
}

#[test]
fn urls_are_redacted_only_where_they_hold_a_password() {
    use super::database::redact_url;
    assert_eq!(redact_url("postgres://u:p@h/db"), "postgres://u:***@h/db");
    assert_eq!(
        redact_url("postgres://u:p@ss@h:1/db?x=y"),
        "postgres://u:***@h:1/db?x=y"
    );
    assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    assert_eq!(
        redact_url("sqlite://data/a.db?mode=rwc"),
        "sqlite://data/a.db?mode=rwc"
    );
}

#[test]
fn sqlite_file_paths_are_found() {
    let path = |url: &str| DatabaseSettings::with_url(url).sqlite_file_path();
    assert_eq!(
        path("sqlite://data/apiary.db?mode=rwc"),
        Some(PathBuf::from("data/apiary.db"))
    );
    assert_eq!(path("sqlite:///tmp/x.db"), Some(PathBuf::from("/tmp/x.db")));
    assert_eq!(path("sqlite:local.db"), Some(PathBuf::from("local.db")));
    assert_eq!(path("sqlite::memory:"), None);
    assert_eq!(path("sqlite://x.db?mode=memory"), None);
    assert_eq!(path("postgres://h/db"), None);
}

#[test]
fn the_image_bounds_are_read_with_their_defaults_and_ranges() {
    let defaults = load(&[]).unwrap().images;
    assert_eq!(defaults.decode_budget_bytes, 512 * 1024 * 1024);
    assert_eq!(defaults.max_per_user, 1_000);
    let set = load(&[
        ("IMAGE_DECODE_BUDGET_MB", "64"),
        ("IMAGE_MAX_PER_USER", "3"),
    ])
    .unwrap()
    .images;
    assert_eq!(set.decode_budget_bytes, 64 * 1024 * 1024);
    assert_eq!(set.max_per_user, 3);
    for (name, value) in [
        ("IMAGE_DECODE_BUDGET_MB", "63"),
        ("IMAGE_DECODE_BUDGET_MB", "lots"),
        ("IMAGE_MAX_PER_USER", "0"),
    ] {
        let error = load(&[(name, value)]).unwrap_err();
        assert!(error.to_string().contains(name), "{error}");
    }
}

#[test]
fn demo_data_is_seeded_outside_production_unless_asked_otherwise() {
    assert!(load(&[]).unwrap().database.seed_demo_data);
    let production = [("APP_ENV", "production"), ("JWT_SECRET", SECRET)];
    assert!(!load(&production).unwrap().database.seed_demo_data);
    let asked = [
        ("APP_ENV", "production"),
        ("JWT_SECRET", SECRET),
        ("SEED_DEMO_DATA", "on"),
    ];
    assert!(load(&asked).unwrap().database.seed_demo_data);
    assert!(
        !load(&[("SEED_DEMO_DATA", "off")])
            .unwrap()
            .database
            .seed_demo_data
    );
}

#[test]
fn metrics_leave_the_main_address_in_production_or_with_their_own() {
    assert!(load(&[]).unwrap().metrics_on_main_address());
    assert!(
        !load(&[("METRICS_ADDR", "127.0.0.1:9090")])
            .unwrap()
            .metrics_on_main_address()
    );
    let production = [("APP_ENV", "production"), ("JWT_SECRET", SECRET)];
    assert!(!load(&production).unwrap().metrics_on_main_address());
    let separate = [
        ("APP_ENV", "production"),
        ("JWT_SECRET", SECRET),
        ("METRICS_ADDR", "127.0.0.1:9090"),
    ];
    assert!(!load(&separate).unwrap().metrics_on_main_address());
}

#[test]
fn cors_is_off_unless_origins_are_listed() {
    assert_eq!(load(&[]).unwrap().http.cors_origins, AllowedOrigins::None);
    assert_eq!(
        load(&[(
            "CORS_ALLOWED_ORIGINS",
            "https://a.example, https://b.example:8443"
        )])
        .unwrap()
        .http
        .cors_origins,
        AllowedOrigins::List(vec![
            "https://a.example".into(),
            "https://b.example:8443".into()
        ])
    );
    assert_eq!(
        load(&[("CORS_ALLOWED_ORIGINS", "*")])
            .unwrap()
            .http
            .cors_origins,
        AllowedOrigins::Any
    );
}

#[test]
fn connection_bounds_have_defaults_and_are_read() {
    let defaults = load(&[]).unwrap().http.connections;
    assert_eq!(defaults.header_timeout, Duration::from_secs(20));
    assert_eq!(defaults.idle_timeout, Duration::from_secs(60));
    assert_eq!(defaults.body_timeout, Duration::from_secs(60));
    assert_eq!(defaults.max_connections, 10_000);
    assert_eq!(defaults.max_h2_streams, 100);
    let set = load(&[
        ("HTTP_HEADER_TIMEOUT_SECS", "5"),
        ("HTTP_IDLE_TIMEOUT_SECS", "7"),
        ("HTTP_BODY_TIMEOUT_SECS", "9"),
        ("HTTP_MAX_CONNECTIONS", "300"),
        ("HTTP_MAX_H2_STREAMS", "16"),
    ])
    .unwrap()
    .http
    .connections;
    assert_eq!(set.header_timeout, Duration::from_secs(5));
    assert_eq!(set.idle_timeout, Duration::from_secs(7));
    assert_eq!(set.body_timeout, Duration::from_secs(9));
    assert_eq!(set.max_connections, 300);
    assert_eq!(set.max_h2_streams, 16);
}

#[test]
fn catalogue_admins_are_read_as_emails() {
    let settings =
        load(&[("CATALOGUE_ADMINS", " Admin@Example.com, ,ops@example.com ")]).expect("valid");
    assert_eq!(
        settings.grants.scopes_for("admin@example.com"),
        ["products:write"]
    );
    assert_eq!(
        settings.grants.scopes_for("ops@example.com"),
        ["products:write"]
    );
    assert!(settings.grants.scopes_for("user@example.com").is_empty());
    assert!(
        load(&[])
            .expect("defaults")
            .grants
            .scopes_for("admin@example.com")
            .is_empty(),
        "nobody writes the catalogue by default"
    );
    let error = load(&[("CATALOGUE_ADMINS", "admin@example.com,no-at-sign")]).unwrap_err();
    assert_eq!(error.variable, "CATALOGUE_ADMINS");
    assert!(error.to_string().contains("no-at-sign"), "{error}");
}

#[test]
fn the_image_store_is_a_directory_unless_storage_url_names_a_bucket() {
    let dir = |vars: &[(&str, &str)]| match load(vars).unwrap().images.storage {
        StorageSettings::Dir(dir) => dir,
        other => panic!("expected a directory, got {other:?}"),
    };
    assert_eq!(dir(&[]), PathBuf::from("data/images"));
    assert_eq!(
        dir(&[("STORAGE_DIR", "/srv/images")]),
        PathBuf::from("/srv/images")
    );
    assert_eq!(
        dir(&[("STORAGE_URL", "file:///srv/images")]),
        PathBuf::from("/srv/images")
    );
    assert_eq!(
        dir(&[
            ("STORAGE_URL", "file://data/x"),
            ("STORAGE_DIR", "/ignored")
        ]),
        PathBuf::from("data/x")
    );

    let s3 = |vars: &[(&str, &str)]| match load(vars).unwrap().images.storage {
        StorageSettings::S3(s3) => s3,
        other => panic!("expected S3, got {other:?}"),
    };
    let aws = s3(&[("STORAGE_URL", "s3://photos")]);
    assert_eq!((aws.bucket.as_str(), aws.prefix.as_str()), ("photos", ""));
    assert_eq!((aws.endpoint, aws.region.as_str()), (None, "us-east-1"));
    assert!(!aws.allow_http && aws.access_key_id.is_none() && aws.secret_access_key.is_none());
    let local = s3(&[
        // STORAGE_URL wins over a STORAGE_DIR left in the environment.
        ("STORAGE_DIR", "/ignored"),
        ("STORAGE_URL", "s3://apiary-test/cluster/run-1/"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000/"),
        ("AWS_REGION", "eu-west-3"),
        ("AWS_ACCESS_KEY_ID", "apiary"),
        ("AWS_SECRET_ACCESS_KEY", "s3-secret-hunter2"),
    ]);
    assert_eq!(local.bucket, "apiary-test");
    assert_eq!(local.prefix, "cluster/run-1");
    assert_eq!(local.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
    assert_eq!(local.region, "eu-west-3");
    assert_eq!(local.access_key_id.as_deref(), Some("apiary"));
    assert_eq!(
        local.secret_access_key.as_ref().map(Secret::expose),
        Some(&b"s3-secret-hunter2"[..])
    );
    assert!(local.allow_http, "plain HTTP on loopback");
    for endpoint in [
        "http://localhost:9000",
        "http://[::1]:9000",
        "https://s3.example.com",
    ] {
        let store = s3(&[("STORAGE_URL", "s3://b-1"), ("AWS_ENDPOINT_URL", endpoint)]);
        assert_eq!(
            store.allow_http,
            endpoint.starts_with("http:"),
            "{endpoint}"
        );
    }
}

#[test]
fn an_unusable_image_store_stops_start_up_naming_its_variable() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("STORAGE_URL", "gs://bucket")], "STORAGE_URL"),
        (&[("STORAGE_URL", "/srv/images")], "STORAGE_URL"),
        (&[("STORAGE_URL", "file://")], "STORAGE_URL"),
        (&[("STORAGE_URL", "s3://")], "STORAGE_URL"),
        (&[("STORAGE_URL", "s3://ab")], "STORAGE_URL"),
        (&[("STORAGE_URL", "s3://Upper-Case")], "STORAGE_URL"),
        (&[("STORAGE_URL", "s3://-leading")], "STORAGE_URL"),
        (&[("STORAGE_URL", "s3://bucket/a/../b")], "STORAGE_URL"),
        (&[("STORAGE_URL", "s3://bucket/a b")], "STORAGE_URL"),
        (
            &[
                ("STORAGE_URL", "s3://bucket"),
                ("AWS_ENDPOINT_URL", "http://s3.example.com"),
            ],
            "AWS_ENDPOINT_URL",
        ),
        (
            &[
                ("STORAGE_URL", "s3://bucket"),
                ("AWS_ENDPOINT_URL", "http://10.0.0.5:9000"),
            ],
            "AWS_ENDPOINT_URL",
        ),
        (
            &[
                ("STORAGE_URL", "s3://bucket"),
                ("AWS_ENDPOINT_URL", "ftp://127.0.0.1"),
            ],
            "AWS_ENDPOINT_URL",
        ),
        (
            &[
                ("STORAGE_URL", "s3://bucket"),
                ("AWS_ENDPOINT_URL", "not a url"),
            ],
            "AWS_ENDPOINT_URL",
        ),
        (
            &[
                ("STORAGE_URL", "s3://bucket"),
                ("AWS_ACCESS_KEY_ID", "apiary"),
            ],
            "AWS_SECRET_ACCESS_KEY",
        ),
        (
            &[
                ("STORAGE_URL", "s3://bucket"),
                ("AWS_SECRET_ACCESS_KEY", "hunter2"),
            ],
            "AWS_ACCESS_KEY_ID",
        ),
    ];
    for (vars, variable) in cases {
        let error = load(vars).expect_err(&format!("{vars:?} must be refused"));
        assert_eq!(error.variable, *variable, "{vars:?}: {error}");
        assert!(error.to_string().contains(variable), "{error}");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
    // Credentials in the endpoint's URL are refused without being echoed.
    let error = load(&[
        ("STORAGE_URL", "s3://bucket"),
        ("AWS_ENDPOINT_URL", "https://apiary:hunter2@s3.example.com"),
    ])
    .unwrap_err();
    assert_eq!(error.variable, "AWS_ENDPOINT_URL");
    assert!(!error.to_string().contains("hunter2"), "{error}");
}

#[test]
fn debug_output_hides_the_image_store_secrets() {
    let settings = load(&[
        ("STORAGE_URL", "s3://apiary-test/images"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000"),
        ("AWS_ACCESS_KEY_ID", "apiary"),
        ("AWS_SECRET_ACCESS_KEY", "s3-secret-hunter2"),
        ("AWS_SESSION_TOKEN", "session-token-hunter3"),
    ])
    .expect("valid");
    let shown = format!("{settings:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(!shown.contains("hunter3"), "{shown}");
    assert!(shown.contains("apiary-test"), "{shown}");
}
