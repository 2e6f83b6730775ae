//! The server's configuration: the TOML file, with `CTI_…` variables and flags over it.
//!
//! An input is the file's bytes, then (after a NUL byte) one `NAME=value` line per environment
//! variable or one `--flag=value` argument per line, read by the server's own clap definition
//! (`Keys`). Loading is deterministic (one input in eight is loaded twice); a loaded
//! configuration keeps the documented ranges; a refusal names the key (or its table), where the
//! value came from and what is wrong.
//!
//! Written against `cti_server::config::load` (figment layers); [`check`] is the one place that
//! calls it, on [`sources`].

use std::path::{Path, PathBuf};

use clap::{Args, Command, FromArgMatches};
use cti_server::config::{ConfigError, Keys, Sources, env_name, flag, keys, load};

use crate::{Rng, Target};

/// The `config` target.
pub const TARGET: Target = Target {
    name: "config",
    check,
    generate,
    dictionary: &[
        "[neoapi]",
        "[tls]",
        "[session]",
        "[security]",
        "[neotel]",
        "[demo]",
        "[lists]",
        "[tasks]",
        "[callcenter]",
        "[callcenter.options]",
        "url = ",
        "binding = \"soap\"",
        "timeout_ms = ",
        "max_requests_per_sec = ",
        "listen = ",
        "public_url = ",
        "poll_interval_ms = ",
        "allowed_origins = [",
        "cert = ",
        "key = ",
        "idle_timeout_secs = ",
        "token_ttl_secs = ",
        "login_attempts_per_minute = ",
        "max_message_bytes = ",
        "timezone = ",
        "standin_listen = ",
        "max_agents = ",
        "data_dir = ",
        "{ task = 1, params = [",
        "{ static = [",
        "\0",
        "\nCTI_NEOAPI_URL=",
        "\nCTI_LISTEN=",
        "\nCTI_MAX_AGENTS=",
        "\n--poll-interval-ms=",
        "\"https://",
        "127.0.0.1:",
        "[::1]:",
        "\"\"\"",
        "'''",
        "0x",
        "1_000",
        "inf",
        "nan",
    ],
    project_seeds,
};

/// The file of this thread's inputs (a thread checks one input at a time), in memory when the
/// machine has a tmpfs: truncating a file on disk costs milliseconds, a hundred times the parse.
fn scratch_file() -> PathBuf {
    let thread =
        format!("{:?}", std::thread::current().id()).replace(|c: char| !c.is_ascii_digit(), "");
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    dir.join(format!("fuzz-config-{}-{thread}.toml", std::process::id()))
}

/// Splits an input into the file's bytes, environment variables and flag arguments.
fn split(data: &[u8]) -> (&[u8], Vec<(String, String)>, Vec<String>) {
    let (file, rest) = match data.iter().position(|b| *b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, &[][..]),
    };
    let (mut env, mut args) = (Vec::new(), Vec::new());
    for line in String::from_utf8_lossy(rest).lines() {
        if line.starts_with("--") {
            args.push(line.to_owned());
        } else if let Some((name, value)) = line.split_once('=') {
            env.push((name.to_owned(), value.to_owned()));
        }
    }
    (file, env, args)
}

/// The flags as the server's command line reads them; arguments clap refuses are clap's to
/// report, so they set nothing here.
fn flags(args: &[String]) -> Keys {
    if args.is_empty() {
        return Keys::default();
    }
    let command = Keys::augment_args(Command::new("cti-server"));
    command
        .try_get_matches_from(std::iter::once("cti-server").chain(args.iter().map(String::as_str)))
        .ok()
        .and_then(|m| Keys::from_arg_matches(&m).ok())
        .unwrap_or_default()
}

/// The sources of one input, its file written: what the server's `load` takes.
pub fn sources(data: &[u8]) -> Sources {
    let (file, env, args) = split(data);
    let path = scratch_file();
    std::fs::write(&path, file).expect("the temporary directory is writable");
    Sources {
        file: Some(path),
        env,
        flags: flags(&args),
    }
}

/// Loads (twice for some inputs: the same answer), then checks the ranges or the problems.
pub fn check(data: &[u8]) {
    let sources = sources(data);
    let path = sources.file.clone().expect("sources name the file");
    let first = load(&sources);
    // one input in eight is loaded twice: loading is the whole cost of this target
    if data.len().is_multiple_of(8) {
        assert_eq!(
            format!("{first:?}"),
            format!("{:?}", load(&sources)),
            "loading is deterministic"
        );
    }
    match first {
        Ok(c) => {
            assert!(
                (100..=60_000).contains(&c.poll_interval.as_millis()),
                "{:?}",
                c.poll_interval
            );
            assert!(
                (1024..=16_777_216).contains(&c.max_message_bytes),
                "{}",
                c.max_message_bytes
            );
            assert!(c.token_ttl.as_secs() >= 60, "{:?}", c.token_ttl);
            assert!(c.max_agents > 0);
            assert!(c.neoapi_max_requests_per_sec.is_none_or(|n| n >= 1));
            assert!(!c.data_dir.as_os_str().is_empty());
            if let Some(n) = &c.neoapi {
                assert!(n.path.starts_with('/'), "{}", n.path);
                assert!(!n.timeout.is_zero());
                assert!(!n.url.ends_with('/'), "{}", n.url);
            }
        }
        Err(ConfigError::Read { path: p, source }) => {
            assert_eq!(p, path);
            let (file, _, _) = split(data);
            assert!(
                std::str::from_utf8(file).is_err(),
                "a written file reads unless it is not UTF-8: {source}"
            );
        }
        Err(ConfigError::Parse { path: p, message }) => {
            assert_eq!(p, path);
            assert!(
                !message.trim().is_empty(),
                "a parse error says what is wrong"
            );
        }
        Err(ConfigError::Invalid(problems)) => {
            assert!(!problems.is_empty());
            for p in &problems {
                assert!(!p.message.trim().is_empty() && !p.source.is_empty(), "{p}");
                // the key, or the table it sits in: never empty, never a name the file has not
                let top = p.key.split('.').next().unwrap_or_default();
                let known = keys().any(|k| k == p.key || k.split('.').next() == Some(top))
                    || ["lists", "tasks", "callcenter"].contains(&top);
                assert!(known, "a problem names its key: {p:?}");
            }
        }
    }
}

/// A TOML value for a key, of its type or not.
fn value(rng: &mut Rng, key: &str) -> String {
    let number = key.ends_with("_ms")
        || key.ends_with("_secs")
        || key.ends_with("_bytes")
        || key.ends_with("_per_minute")
        || key == "max_agents";
    match rng.below(6) {
        0 => rng.edgy().to_string(),
        1 => format!("{:?}", rng.text(20)),
        2 => "[\"https://a.lightning.force.com\", \"http://x\"]".into(),
        _ if number => rng
            .pick(&["100", "60000", "1024", "65536", "0", "-5", "99999999999"])
            .to_string(),
        _ => format!(
            "{:?}",
            match key {
                "neoapi.url" | "public_url" => rng
                    .pick(&[
                        "https://neotel.example.com/",
                        "http://127.0.0.1:8090",
                        "ftp://x",
                        "",
                        "https://"
                    ])
                    .to_string(),
                "neoapi.binding" => rng.pick(&["form", "get", "soap", "rest"]).to_string(),
                "neoapi.path" => rng
                    .pick(&["/neoapi/webservice.asmx", "neoapi", "/"])
                    .to_string(),
                "listen" | "demo.standin_listen" => rng
                    .pick(&[
                        "127.0.0.1:8080",
                        "0.0.0.0:443",
                        "[::1]:0",
                        "localhost:80",
                        ":99999"
                    ])
                    .to_string(),
                "neotel.timezone" => rng
                    .pick(&["America/Argentina/Buenos_Aires", "UTC", "Mars/Olympus"])
                    .to_string(),
                "tls.cert" | "tls.key" | "callcenter.file" => rng
                    .pick(&["/nonexistent.pem", "/etc/hostname", ""])
                    .to_string(),
                _ => rng.text(12),
            }
        ),
    }
}

/// A configuration file over the real keys, and sometimes variables and flags over it.
fn generate(rng: &mut Rng) -> Vec<u8> {
    let mut top = String::new();
    let mut tables: std::collections::BTreeMap<&str, String> = Default::default();
    let all: Vec<&str> = keys().collect();
    for key in &all {
        if !rng.chance(1, 3) {
            continue;
        }
        let v = value(rng, key);
        match key.split_once('.') {
            Some((table, k)) => tables
                .entry(table)
                .or_default()
                .push_str(&format!("{k} = {v}\n")),
            None => top.push_str(&format!("{key} = {v}\n")),
        }
    }
    for (table, body) in &tables {
        top.push_str(&format!("\n[{table}]\n{body}"));
    }
    if rng.chance(1, 4) {
        let list = *rng.pick(&[
            "breaks",
            "campaigns",
            "queues",
            "users",
            "transfer_phones",
            "categories",
            "bogus",
        ]);
        let source = match rng.below(3) {
            0 => format!(
                "{{ task = {}, params = [\"{}\", \"campaign\"] }}",
                rng.edgy(),
                rng.word(6)
            ),
            1 => format!(
                "{{ static = [{{ id = {}, name = {:?} }}] }}",
                rng.edgy(),
                rng.text(8)
            ),
            _ => format!("{{ task = 1, static = [], extra = {} }}", rng.edgy()),
        };
        top.push_str(&format!("\n[lists]\n{list} = {source}\n"));
    }
    if rng.chance(1, 5) {
        top.push_str(&format!(
            "\n[callcenter.options]\n{} = {}\n",
            rng.pick(&["allowCategorization", "automaticContactRelease", "bogus"]),
            rng.pick(&["true", "-1", "\"x\"", "[1]", "{ a = 1 }"])
        ));
    }
    if rng.chance(1, 3) {
        top.push('\0');
        for _ in 0..rng.below(4) {
            let key = *rng.pick(&all);
            let v = value(rng, key).trim_matches('"').to_owned();
            match flag(key) {
                Some(f) if rng.chance(1, 2) => top.push_str(&format!("{f}={v}\n")),
                _ => top.push_str(&format!("{}={v}\n", env_name(key))),
            }
        }
    }
    top.into_bytes()
}

/// `cti-server/config.example.toml` (every key with its default) and the Debian package's.
fn project_seeds(root: &Path) -> Vec<Vec<u8>> {
    ["cti-server/config.example.toml", "packaging/config.toml"]
        .iter()
        .map(|p| crate::read_text(&root.join(p)).into_bytes())
        .filter(|b| !b.is_empty())
        .collect()
}
