//! What the core asks Salesforce to do: one `sforce.opencti` call per effect, serialized as the
//! page executes it (`{"kind": …, "id": …, …arguments}`), with the id its result echoes.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::message::Message;

/// The id an effect's result echoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct EffectId(pub u64);

/// One Salesforce effect for the page to run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SalesforceEffect {
    /// Echoed by the result.
    pub id: EffectId,
    /// What to call.
    #[serde(flatten)]
    pub action: SalesforceAction,
}

/// The `sforce.opencti` call, with its arguments by their Open CTI names.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[serde(rename_all_fields = "camelCase")]
pub enum SalesforceAction {
    /// Search without popping (`deferred`); the core decides what to pop.
    SearchAndScreenPop {
        /// What to search.
        search_params: String,
        /// `inbound`, `outbound`, `internal`.
        call_type: &'static str,
        /// New-record defaults.
        default_field_values: Map<String, Value>,
        /// Always true: the core decides.
        deferred: bool,
    },
    /// Pop a record, a new-record modal or the search page.
    ScreenPop {
        /// `sobject`, `newRecord`, `search`.
        #[serde(rename = "type")]
        pop_type: &'static str,
        /// Its parameters.
        params: Value,
    },
    /// Create or update a record or Task.
    SaveLog {
        /// The fields.
        value: Map<String, Value>,
    },
    /// Call `NeotelDataRetrieval`.
    RunApex {
        /// Always `NeotelDataRetrieval`.
        apex_class: &'static str,
        /// `getContactById`, …
        method_name: String,
        /// `Id=…`.
        method_params: String,
    },
    /// The call center settings map.
    GetCallCenterSettings,
    /// The softphone layout.
    GetSoftphoneLayout,
    /// What Salesforce shows (W-SYNC by hand).
    GetAppViewInfo,
    /// Show or minimize the softphone.
    SetSoftphonePanelVisibility {
        /// Shown?
        visible: bool,
    },
    /// Panel height (F-CONFIG).
    SetSoftphonePanelHeight {
        /// Pixels, 240–2560.
        #[serde(rename = "heightPX")]
        height_px: u32,
    },
    /// Panel width (F-CONFIG).
    SetSoftphonePanelWidth {
        /// Pixels, 200–1920.
        #[serde(rename = "widthPX")]
        width_px: u32,
    },
    /// The utility item's label (the agent's state): a message the page words in the agent's
    /// language before calling Open CTI.
    SetSoftphoneItemLabel {
        /// What it says.
        label: Message,
    },
    /// The utility item's icon (the agent's state).
    SetSoftphoneItemIcon {
        /// SLDS utility icon name.
        key: &'static str,
    },
    /// Phone fields dial through the softphone.
    EnableClickToDial,
    /// Phone fields stop dialing.
    DisableClickToDial,
}

impl SalesforceAction {
    /// Sets what the page's Salesforce side shows for the session (click-to-dial, panel
    /// size, utility label and icon): set again in full for every new page, never re-run.
    #[must_use]
    pub fn is_page_state(&self) -> bool {
        matches!(
            self,
            Self::EnableClickToDial
                | Self::DisableClickToDial
                | Self::SetSoftphonePanelHeight { .. }
                | Self::SetSoftphonePanelWidth { .. }
                | Self::SetSoftphoneItemLabel { .. }
                | Self::SetSoftphoneItemIcon { .. }
        )
    }
}
