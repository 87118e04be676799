//! The secure-pickup passcode page: whoever sends a temporary password by secure pickup (the
//! account administrator or support staff) sees the passcode this once, to give by voice.

use askama::Template;

use super::layout::Layout;

/// The passcode to give by voice, with the way back.
#[derive(Template)]
#[template(path = "passcode.html")]
pub struct PasscodePage {
    pub layout: Layout,
    pub login_name: String,
    pub passcode: String,
    pub back_href: String,
}
