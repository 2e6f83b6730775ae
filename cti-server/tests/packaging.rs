//! The Debian package's files (`packaging/`): its configuration is the example's but for
//! `data_dir`, and the service unit keeps its hardening. `scripts/test-deb` installs the package
//! for real (and runs `systemd-analyze verify`); these run everywhere.

use std::path::PathBuf;

fn repo_file(path: &str) -> String {
    let full = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_package_configuration_is_the_example_with_the_packages_data_dir() {
    let example = repo_file("cti-server/config.example.toml");
    let expected = example
        .replacen(
            "# cti-server configuration: every key, with its default.\n",
            "# cti-server configuration: every key, with its default (data_dir: the package's).\n\
             # Check it with: sudo -u cti-server cti-server doctor --config /etc/cti-server/config.toml\n",
            1,
        )
        .replacen(
            "data_dir = \"data\"\n",
            "data_dir = \"/var/lib/cti-server\"\n",
            1,
        );
    assert_ne!(
        expected, example,
        "the example's header or data_dir line changed"
    );
    assert!(
        repo_file("packaging/config.toml") == expected,
        "packaging/config.toml must be cti-server/config.example.toml with the package's header \
         and data_dir = \"/var/lib/cti-server\": copy the example again and change those lines"
    );
    // And it loads.
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../packaging/config.toml"
    ));
    let config = cti_server::config::load(&cti_server::config::Sources {
        file: Some(path),
        ..Default::default()
    })
    .expect("the package's configuration loads");
    assert_eq!(config.data_dir, PathBuf::from("/var/lib/cti-server"));
}

/// `Key=value` lines of the `[Service]` section.
fn service_section(unit: &str) -> Vec<(String, String)> {
    let mut in_service = false;
    let mut out = Vec::new();
    for line in unit.lines().map(str::trim) {
        if line.starts_with('[') {
            in_service = line == "[Service]";
        } else if in_service
            && !line.starts_with('#')
            && let Some((k, v)) = line.split_once('=')
        {
            out.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    out
}

#[test]
fn the_unit_runs_as_its_user_with_one_capability_and_a_read_only_system() {
    let unit = repo_file("packaging/cti-server.service");
    let service = service_section(&unit);
    let value = |key: &str| -> Vec<&str> {
        service
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    for (key, expected) in [
        ("User", "cti-server"),
        (
            "ExecStart",
            "/usr/bin/cti-server --config /etc/cti-server/config.toml",
        ),
        ("LimitNOFILE", "65536"),
        ("AmbientCapabilities", "CAP_NET_BIND_SERVICE"),
        ("CapabilityBoundingSet", "CAP_NET_BIND_SERVICE"),
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ReadWritePaths", "/var/lib/cti-server"),
        ("StateDirectory", "cti-server"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
    ] {
        assert_eq!(
            value(key),
            [expected],
            "{key} in packaging/cti-server.service"
        );
    }
    // The server raises its open-files soft limit at start: setrlimit must stay allowed.
    assert_eq!(value("SystemCallFilter"), ["@system-service"]);
    assert!(unit.contains("[Install]\nWantedBy=multi-user.target"));

    // 65536 descriptors fit the documented sizing for the default max_agents.
    assert!(cti_server::doctor::open_files_needed(2000) <= 65536);
}

#[test]
fn the_maintainer_scripts_keep_the_generated_steps_and_purge_the_data() {
    for script in ["packaging/postinst", "packaging/postrm"] {
        let text = repo_file(script);
        assert!(text.starts_with("#!/bin/sh\n"), "{script}");
        assert!(text.contains("\nset -e\n"), "{script}");
        assert!(
            text.contains("#DEBHELPER#"),
            "{script} lost cargo-deb's token"
        );
    }
    let postrm = repo_file("packaging/postrm");
    assert!(postrm.contains("if [ \"$1\" = \"purge\" ]; then\n    rm -rf /var/lib/cti-server"));
}
