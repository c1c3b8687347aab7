//! How a failed read shows on a page: a heading and a sentence, and the matching HTTP status
//! when the page is rendered on the server.

use crate::error::{set_page_status, AppError};
use leptos::prelude::*;

#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    set_page_status(error.status());
    view! {
        <div class="notice error" role="alert">
            <strong>{error.title()}</strong>
            <p>{error.to_string()}</p>
        </div>
    }
}

/// Why a form's change was not made. The page around it is fine, so its status stays 200.
#[component]
pub fn FormErrorNotice(error: AppError) -> impl IntoView {
    view! {
        <div class="notice error" role="alert">
            <strong>{error.title()}</strong>
            <p>{error.to_string()}</p>
        </div>
    }
}
