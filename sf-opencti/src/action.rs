//! The `sforce.opencti` calls the Open CTI page runs, typed: one per variant, serialized as the
//! page executes it (`{"kind": …, "id": …, …arguments by their Open CTI names}`).

use cti_core::{Message, RequestId};
use serde::Serialize;
use serde_json::{Map, Value};

/// One call for the page to run, with the id its result echoes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SalesforceEffect {
    /// Echoed by the result.
    pub id: RequestId,
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
    /// Sets what the page's Salesforce side shows (click-to-dial, panel size, utility label
    /// and icon): nothing waits for its answer.
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

    /// The call's name as the page runs it (`saveLog`, `screenPop`, …).
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::SearchAndScreenPop { .. } => "searchAndScreenPop",
            Self::ScreenPop { .. } => "screenPop",
            Self::SaveLog { .. } => "saveLog",
            Self::RunApex { .. } => "runApex",
            Self::GetCallCenterSettings => "getCallCenterSettings",
            Self::GetSoftphoneLayout => "getSoftphoneLayout",
            Self::GetAppViewInfo => "getAppViewInfo",
            Self::SetSoftphonePanelVisibility { .. } => "setSoftphonePanelVisibility",
            Self::SetSoftphonePanelHeight { .. } => "setSoftphonePanelHeight",
            Self::SetSoftphonePanelWidth { .. } => "setSoftphonePanelWidth",
            Self::SetSoftphoneItemLabel { .. } => "setSoftphoneItemLabel",
            Self::SetSoftphoneItemIcon { .. } => "setSoftphoneItemIcon",
            Self::EnableClickToDial => "enableClickToDial",
            Self::DisableClickToDial => "disableClickToDial",
        }
    }
}

/// The page's failure of a call: Open CTI's error code (`INVALID_PARAM`, `GENERIC_ERROR`,
/// `SERVER_ERROR`, `SOFTPHONE_CONTAINER_ERROR`, or the page's own `TIMEOUT` after 10 s) and
/// Salesforce's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesforceError {
    /// The error code.
    pub code: String,
    /// Salesforce's words.
    pub description: String,
}
