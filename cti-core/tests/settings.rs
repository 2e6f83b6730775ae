//! F-CONFIG: the agent's panel size reaches Salesforce, out-of-range sizes are refused, and the
//! panel minimizes itself when a call opens the new-record window.

mod common;

use std::time::Duration;

use common::Harness;
use cti_core::{Command, PanelSettings, SessionError};
use sf_opencti::SalesforceAction;

fn save(s: &PanelSettings) -> Command {
    Command::SaveSettings {
        width_px: s.width_px.into(),
        height_px: s.height_px.into(),
        minimize_on_no_match: s.minimize_on_no_match,
        minimize_on_several: s.minimize_on_several,
    }
}

#[test]
fn f_config_size_and_minimize_on_no_match() {
    let mut h = Harness::new("1001");
    h.join(97);
    let settings = PanelSettings {
        width_px: 800,
        height_px: 500,
        minimize_on_no_match: true,
        minimize_on_several: false,
        language: "es".into(),
    };
    h.command(save(&settings)).unwrap();
    assert!(h.effects.iter().any(|e| matches!(
        e.action,
        SalesforceAction::SetSoftphonePanelWidth { width_px: 800 }
    )));
    assert!(h.effects.iter().any(|e| matches!(
        e.action,
        SalesforceAction::SetSoftphonePanelHeight { height_px: 500 }
    )));
    assert_eq!(h.view().settings, settings);

    assert!(!h.effects.iter().any(|e| matches!(
        e.action,
        SalesforceAction::SetSoftphonePanelVisibility { visible: false }
    )));
    h.inbound("", None); // a private number: the new-record window opens
    h.advance(Duration::from_secs(1));
    assert_eq!(h.pops().last().map(|p| p.0), Some("newRecord"));
    assert!(
        h.effects.iter().any(|e| matches!(
            e.action,
            SalesforceAction::SetSoftphonePanelVisibility { visible: false }
        )),
        "the softphone gets out of the way"
    );
}

#[test]
fn f_config_sizes_out_of_range_are_refused() {
    let mut h = Harness::new("1001");
    let bad = PanelSettings {
        width_px: 100,
        ..PanelSettings::default()
    };
    assert!(matches!(
        h.command(save(&bad)),
        Err(SessionError::Refused(m)) if m.code == "badSize"
    ));
    assert_eq!(h.view().settings, PanelSettings::default());
}

#[test]
fn f_config_the_page_sends_it_as_json() {
    let json = serde_json::json!({"command": "saveSettings", "widthPx": 640, "heightPx": 480,
        "minimizeOnNoMatch": false, "minimizeOnSeveral": true});
    let command: Command = serde_json::from_value(json).unwrap();
    assert!(matches!(
        command,
        Command::SaveSettings {
            width_px: 640,
            minimize_on_several: true,
            ..
        }
    ));
}
