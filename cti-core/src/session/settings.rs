//! F-CONFIG: the panel's size and automatic minimizing, and the agent's language (which also
//! words the utility bar's label). The server keeps them per user.

use crate::message::{Code, Message};
use crate::view::PanelSettings;

use super::Session;

impl Session {
    pub(super) fn save_settings(
        &mut self,
        width_px: i64,
        height_px: i64,
        minimize_on_no_match: bool,
        minimize_on_several: bool,
    ) -> Result<(), Message> {
        let (Ok(width_px), Ok(height_px)) = (u32::try_from(width_px), u32::try_from(height_px))
        else {
            return Err(Code::BadSize.into());
        };
        let settings = PanelSettings {
            width_px,
            height_px,
            minimize_on_no_match,
            minimize_on_several,
            language: self.settings.language.clone(),
        };
        if !settings.is_valid() {
            return Err(Code::BadSize.into());
        }
        // The surface is resized with the next view (page.rs).
        self.settings = settings;
        self.notify_briefly(Code::SettingsSaved);
        Ok(())
    }

    pub(super) fn set_language(&mut self, language: String) -> Result<(), Message> {
        if !self.config.languages.contains(&language) {
            return Err(Message::new(Code::UnknownLanguage).with("language", language));
        }
        self.settings.language = language;
        // The utility bar's label is in the agent's language too.
        self.say_status_again();
        Ok(())
    }
}
