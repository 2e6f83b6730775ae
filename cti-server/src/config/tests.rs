use std::path::PathBuf;
use std::time::Duration;

use super::*;

/// The keys these command-line flags set, as clap parses them.
fn flags(args: &[&str]) -> Keys {
    use clap::{Args as _, FromArgMatches as _};
    let command = Keys::augment_args(clap::Command::new("cti-server"));
    let argv = std::iter::once("cti-server").chain(args.iter().copied());
    let matches = command.try_get_matches_from(argv).expect("the flags parse");
    Keys::from_arg_matches(&matches).expect("the flags make keys")
}

fn write(text: &str) -> (tempdir::Dir, PathBuf) {
    let dir = tempdir::Dir::new();
    let path = dir.0.join("c.toml");
    std::fs::write(&path, text).expect("temp file is writable");
    (dir, path)
}

/// A throwaway directory under the target dir, removed on drop.
mod tempdir {
    pub(super) struct Dir(pub(super) std::path::PathBuf);
    impl Dir {
        pub(super) fn new() -> Self {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let p = std::env::temp_dir().join(format!(
                "cti-config-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&p).expect("temp dir");
            Self(p)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The simulator's lists and tasks written out, as an install against it writes them.
const SIMULATOR_TASKS: &str = "[lists]
breaks = { task = 1, params = [\"breaks\"] }
campaigns = { task = 1, params = [\"campaigns\"] }
queues = { task = 1, params = [\"queues\"] }
users = { task = 1, params = [\"users\"] }
transfer_phones = { task = 1, params = [\"transferPhones\", \"campaign\"] }
categories = { task = 1, params = [\"categories\", \"crm\"] }
[tasks]
monitor_start = { task = 2, params = [\"supervisor\", \"user\", \"mode\"] }
monitor_stop = { task = 3, params = [\"supervisor\"] }
send_text = { task = 5, params = [\"user\", \"phone\", \"channel\", \"text\"] }
find_contact = { task = 6, params = [\"crm\", \"key\"] }
contact_outcome = { task = 7, params = [\"base\", \"contact\"] }
";

#[test]
fn defaults_are_demo_mode_on_loopback() {
    let c = Config::defaults();
    assert!(c.demo());
    assert_eq!(c.listen, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(c.standin_listen, "127.0.0.1:8081".parse().unwrap());
    assert_eq!(c.poll_interval, Duration::from_secs(1));
    assert_eq!(c.max_message_bytes, 65536);
    assert_eq!(c.timezone, chrono_tz::America::Argentina::Buenos_Aires);
    assert_eq!(
        c.lists.breaks,
        ListSource::Task(TaskCall {
            task: 1,
            params: vec!["breaks".into()]
        })
    );
}

#[test]
fn flags_beat_env_beat_file() {
    let (_d, path) = write(&format!(
        "listen = \"127.0.0.1:1000\"\npoll_interval_ms = 500\n[neoapi]\nurl = \"http://file\"\ntimeout_ms = 100\n{SIMULATOR_TASKS}",
    ));
    let sources = Sources {
        file: Some(path),
        env: vec![
            ("CTI_LISTEN".into(), "127.0.0.1:2000".into()),
            ("CTI_NEOAPI_TIMEOUT_MS".into(), "200".into()),
            ("UNRELATED".into(), "x".into()),
        ],
        flags: flags(&["--listen", "127.0.0.1:3000"]),
    };
    let c = load(&sources).unwrap();
    assert_eq!(c.listen, "127.0.0.1:3000".parse().unwrap());
    let neo = c.neoapi.unwrap();
    assert_eq!(neo.url, "http://file");
    assert_eq!(neo.timeout, Duration::from_millis(200));
    assert_eq!(c.poll_interval, Duration::from_millis(500));
}

#[test]
fn every_problem_is_reported_with_its_key_and_source() {
    let (_d, path) = write(&format!(
        "[neoapi]\nurl = \"ftp://x\"\nbinding = \"rest\"\n[neotel]\ntimezone = \"Mars/Base\"\n{SIMULATOR_TASKS}",
    ));
    let sources = Sources {
        file: Some(path),
        env: vec![("CTI_POLL_INTERVAL_MS".into(), "5".into())],
        flags: Keys::default(),
    };
    let err = load(&sources).unwrap_err();
    let ConfigError::Invalid(problems) = &err else {
        panic!("expected Invalid, got {err}");
    };
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "neoapi.url",
            "neoapi.binding",
            "poll_interval_ms",
            "neotel.timezone"
        ]
    );
    assert!(problems[2].source.contains("CTI_POLL_INTERVAL_MS"));
    assert!(err.to_string().contains("Mars/Base"));
}

#[test]
fn a_real_neoapi_without_the_install_tasks_names_each_missing_key() {
    let (_d, path) = write(
        "[neoapi]\nurl = \"http://neotel.internal\"\n[lists]\nbreaks = { static = [{ id = 1, name = \"Baño\" }] }\n[tasks]\nfind_contact = { task = 40, params = [\"crm\", \"key\"] }\n",
    );
    let sources = Sources {
        file: Some(path),
        ..Sources::default()
    };
    let ConfigError::Invalid(problems) = load(&sources).unwrap_err() else {
        panic!("expected Invalid");
    };
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "lists.campaigns",
            "lists.queues",
            "lists.users",
            "lists.transfer_phones",
            "lists.categories",
            "tasks.monitor_start",
            "tasks.monitor_stop",
            "tasks.send_text",
            "tasks.contact_outcome",
        ],
        "each one the install did not set, not the simulator's numbers silently"
    );
    assert!(
        problems[5].message.contains("required with neoapi.url")
            && problems[5].message.contains("task 2 is the simulator's"),
        "{}",
        problems[5]
    );
    // The demo (no neoapi.url) runs on the simulator's numbers.
    assert_eq!(Config::defaults().tasks, cti_core::Tasks::simulator());
}

#[test]
fn a_mistyped_env_value_names_its_variable() {
    let sources = Sources {
        env: vec![("CTI_NEOAPI_TIMEOUT_MS".into(), "soon".into())],
        ..Sources::default()
    };
    let ConfigError::Invalid(problems) = load(&sources).unwrap_err() else {
        panic!("expected Invalid");
    };
    assert_eq!(problems[0].key, "neoapi.timeout_ms");
    assert_eq!(problems[0].source, "CTI_NEOAPI_TIMEOUT_MS");
}

#[test]
fn unknown_file_keys_are_refused_with_the_line() {
    let (_d, path) = write("[neoapi]\nurll = \"http://x\"\n");
    let err = load(&Sources {
        file: Some(path),
        ..Sources::default()
    })
    .unwrap_err();
    assert!(matches!(err, ConfigError::Parse { .. }), "{err}");
    assert!(err.to_string().contains("urll"), "{err}");
}

#[test]
fn lists_are_static_or_a_task() {
    let (_d, path) = write(
        "[lists]\nbreaks = { static = [{ id = 1, name = \"Baño\" }] }\nqueues = { task = 9, params = [\"queues\"] }\nusers = { static = [], task = 3 }\n",
    );
    let ConfigError::Invalid(problems) = load(&Sources {
        file: Some(path.clone()),
        ..Sources::default()
    })
    .unwrap_err() else {
        panic!("expected Invalid");
    };
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].key, "lists.users");

    std::fs::write(
        &path,
        "[lists]\nbreaks = { static = [{ id = 1, name = \"Baño\" }] }\nqueues = { task = 9, params = [\"queues\"] }\n",
    )
    .unwrap();
    let c = load(&Sources {
        file: Some(path),
        ..Sources::default()
    })
    .unwrap();
    assert_eq!(
        c.lists.breaks,
        ListSource::Static(vec![serde_json::json!({"id":1,"name":"Baño"})])
    );
    assert_eq!(
        c.lists.queues,
        ListSource::Task(TaskCall {
            task: 9,
            params: vec!["queues".into()]
        })
    );
}

#[test]
fn max_agents_and_data_dir_come_from_env_and_flags() {
    let c = Config::defaults();
    assert_eq!(c.max_agents, 2000);
    assert_eq!(c.data_dir, PathBuf::from("data"));
    let c = load(&Sources {
        env: vec![("CTI_MAX_AGENTS".into(), "50".into())],
        flags: flags(&["--data-dir", "/srv/cti"]),
        ..Sources::default()
    })
    .unwrap();
    assert_eq!(c.max_agents, 50);
    assert_eq!(c.data_dir, PathBuf::from("/srv/cti"));
    let ConfigError::Invalid(problems) = load(&Sources {
        env: vec![("CTI_MAX_AGENTS".into(), "0".into())],
        ..Sources::default()
    })
    .unwrap_err() else {
        panic!("expected Invalid");
    };
    assert_eq!(problems[0].key, "max_agents");
    assert_eq!(problems[0].source, "CTI_MAX_AGENTS");
}

#[test]
fn tls_needs_both_files() {
    let (_d, path) = write("[tls]\ncert = \"/nonexistent.pem\"\n");
    let err = load(&Sources {
        file: Some(path),
        ..Sources::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("tls.key"), "{err}");
}

#[test]
fn the_example_file_is_valid_and_documents_every_key() {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml"));
    let text = std::fs::read_to_string(&path).unwrap();
    for key in keys() {
        let leaf = key.rsplit('.').next().unwrap();
        assert!(
            text.contains(leaf),
            "config.example.toml does not mention {key}"
        );
    }
    for table in [
        "lists",
        "tasks",
        "callcenter",
        "options",
        "monitor_start",
        "find_contact",
    ] {
        assert!(
            text.contains(table),
            "config.example.toml does not mention {table}"
        );
    }
    // Its active lines (comments off) must load: TLS files do not exist here, so drop them.
    let c = load(&Sources {
        file: Some(path),
        ..Sources::default()
    })
    .unwrap();
    assert!(c.demo());
}

#[test]
fn every_key_has_a_variable_and_a_flag_named_after_it() {
    let keys: Vec<&str> = keys().collect();
    assert_eq!(keys.len(), 49, "{keys:?}");
    for key in &keys {
        let flag = flag(key).expect("every key has a flag");
        assert_eq!(flag, format!("--{}", key.replace(['.', '_'], "-")), "{key}");
    }
    for key in [
        "session.idle_timeout_secs",
        "security.max_message_bytes",
        "callcenter.file",
    ] {
        assert!(keys.contains(&key), "{key}");
    }
    assert_eq!(
        env_name("session.idle_timeout_secs"),
        "CTI_SESSION_IDLE_TIMEOUT_SECS"
    );
}

#[test]
fn variables_of_keys_with_underscores_are_read_and_others_ignored() {
    let c = load(&Sources {
        env: vec![
            ("CTI_SESSION_IDLE_TIMEOUT_SECS".into(), "42".into()),
            ("CTI_SECURITY_MAX_MESSAGE_BYTES".into(), "2048".into()),
            ("CTI_DEMO_STANDIN_LISTEN".into(), "127.0.0.1:9001".into()),
            (
                "CTI_ALLOWED_ORIGINS".into(),
                "https://a.example, https://b.example".into(),
            ),
            ("CTI_DATA_DIR".into(), "2024".into()),
            ("CTI_LOG_FORMAT".into(), "json".into()),
            ("CTI_DOCTOR_PASSWORD".into(), "secret".into()),
        ],
        ..Sources::default()
    })
    .unwrap();
    assert_eq!(c.idle_timeout, Duration::from_secs(42));
    assert_eq!(c.max_message_bytes, 2048);
    assert_eq!(c.standin_listen, "127.0.0.1:9001".parse().unwrap());
    assert_eq!(
        c.allowed_origins,
        ["https://a.example", "https://b.example"]
    );
    assert_eq!(c.data_dir, PathBuf::from("2024"));
}

/// Issue 28: the NeoApi budget is read in demo mode too, and is at least one request a second.
#[test]
fn the_neoapi_budget_is_read_and_checked() {
    assert_eq!(Config::defaults().neoapi_max_requests_per_sec, None);
    let c = load(&Sources {
        env: vec![("CTI_NEOAPI_MAX_REQUESTS_PER_SEC".into(), "1500".into())],
        ..Sources::default()
    })
    .unwrap();
    assert!(c.demo());
    assert_eq!(c.neoapi_max_requests_per_sec, Some(1500));
    let ConfigError::Invalid(problems) = load(&Sources {
        flags: flags(&["--neoapi-max-requests-per-sec", "0"]),
        ..Sources::default()
    })
    .unwrap_err() else {
        panic!("expected Invalid");
    };
    assert_eq!(problems[0].key, "neoapi.max_requests_per_sec");
}

#[test]
fn the_old_short_flags_still_work() {
    let keys = flags(&[
        "--standin-listen",
        "127.0.0.1:1",
        "--timezone",
        "UTC",
        "--idle-timeout-secs",
        "9",
    ]);
    assert_eq!(keys.demo.standin_listen.as_deref(), Some("127.0.0.1:1"));
    assert_eq!(keys.neotel.timezone.as_deref(), Some("UTC"));
    assert_eq!(keys.session.idle_timeout_secs, Some(9));
}

#[test]
fn every_mistyped_variable_is_named_at_once() {
    let ConfigError::Invalid(problems) = load(&Sources {
        env: vec![
            ("CTI_MAX_AGENTS".into(), "many".into()),
            ("CTI_NEOAPI_TIMEOUT_MS".into(), "soon".into()),
        ],
        ..Sources::default()
    })
    .unwrap_err() else {
        panic!("expected Invalid");
    };
    let named: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| (p.key.as_str(), p.source.as_str()))
        .collect();
    assert_eq!(
        named,
        [
            ("max_agents", "CTI_MAX_AGENTS"),
            ("neoapi.timeout_ms", "CTI_NEOAPI_TIMEOUT_MS")
        ]
    );
}

#[test]
fn a_static_list_item_without_id_or_name_is_refused_at_start() {
    let (_d, path) = write(
        "[lists]\nbreaks = { static = [{ id = 1, name = \"Baño\" }, { name = \"Almuerzo\" }] }\nusers = { static = [{ id = 3 }] }\n",
    );
    let ConfigError::Invalid(problems) = load(&Sources {
        file: Some(path),
        ..Sources::default()
    })
    .unwrap_err() else {
        panic!("expected Invalid");
    };
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("lists.breaks (from file "),
        "{lines:?}"
    );
    assert!(
        lines[0].ends_with("item 2: needs a numeric `id`"),
        "{lines:?}"
    );
    assert!(lines[1].ends_with("item 1: needs a `name`"), "{lines:?}");
}

#[test]
fn the_gates_keys_are_read_and_checked() {
    let (_d, path) = write(
        "[security]\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]\nclient_address_header = \"Forwarded\"\n[limits]\nlogin_deadline_secs = 5\nmax_connections = 50\n[metrics]\nlisten = \"127.0.0.1:9100\"\nallowed_clients = [\"192.0.2.7\"]\n",
    );
    let c = load(&Sources {
        file: Some(path),
        env: vec![("CTI_LIMITS_COMMAND_BURST".into(), "7".into())],
        flags: flags(&["--security-trusted-proxies", "10.0.0.0/8,192.0.2.1"]),
    })
    .unwrap();
    let nets: Vec<String> = c
        .trusted_proxies
        .networks
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(nets, ["10.0.0.0/8", "192.0.2.1/32"], "the flag wins");
    assert_eq!(c.trusted_proxies.header, ClientAddressHeader::Forwarded);
    assert_eq!(c.limits.login_deadline, Duration::from_secs(5));
    assert_eq!(c.limits.max_connections, 50);
    assert_eq!(c.limits.command_burst, 7);
    assert_eq!(c.limits.header_read_timeout, Duration::from_secs(10));
    assert_eq!(c.metrics.listen, Some("127.0.0.1:9100".parse().unwrap()));
    assert_eq!(c.metrics.allowed_clients.len(), 1);

    let ConfigError::Invalid(problems) = load(&Sources {
        env: vec![
            (
                "CTI_SECURITY_TRUSTED_PROXIES".into(),
                "10.0.0.0/8,proxy.example".into(),
            ),
            (
                "CTI_SECURITY_CLIENT_ADDRESS_HEADER".into(),
                "x-real-ip".into(),
            ),
            ("CTI_LIMITS_LOGIN_DEADLINE_SECS".into(), "0".into()),
            ("CTI_METRICS_ALLOWED_CLIENTS".into(), "10.0.0.0/33".into()),
        ],
        ..Sources::default()
    })
    .unwrap_err() else {
        panic!("expected Invalid");
    };
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "security.trusted_proxies",
            "security.client_address_header",
            "limits.login_deadline_secs",
            "metrics.allowed_clients"
        ],
        "{problems:?}"
    );
    assert!(
        problems[0].message.contains("proxy.example"),
        "{problems:?}"
    );
}
