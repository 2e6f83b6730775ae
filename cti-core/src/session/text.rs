//! F-SMS: with `allowTextMessage`, an SMS or WhatsApp to the customer (the call's number,
//! or another) through the install's text task.

use crate::command::TextChannel;
use crate::io::ApiResult;
use crate::message::{Code, Message};

use super::Session;
use super::notices;
use super::outbox::Pending;

impl Session {
    pub(super) fn send_text(
        &mut self,
        channel: TextChannel,
        phone: &str,
        text: &str,
    ) -> Result<(), Message> {
        let phone = if phone.trim().is_empty() {
            self.customer_phone()
        } else {
            phone.to_owned()
        };
        if phone.trim().is_empty() || text.trim().is_empty() {
            return Err(Code::TextIncomplete.into());
        }
        let phone = self.number(&phone)?;
        let channel = match channel {
            TextChannel::Sms => "sms",
            TextChannel::Whatsapp => "whatsapp",
        };
        let user = self.user();
        let task = &self.config.tasks.send_text;
        let params = task.fill(&[
            ("user", &user),
            ("phone", &phone),
            ("channel", channel),
            ("text", text),
        ]);
        let id = task.id;
        self.task(id, params, Pending::Text);
        Ok(())
    }

    pub(super) fn text_answered(&mut self, result: ApiResult) {
        match result {
            Ok(_) => self.notify_briefly(Code::TextSent),
            Err(e) => self.notices.error = Some(notices::fault(&e)),
        }
    }
}
