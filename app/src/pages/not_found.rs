//! The page for a URL no route matches, answered with status 404.

use crate::components::notice::ErrorNotice;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    let error = AppError::NotFound("There is no page at this address.".to_owned());
    view! {
        <Title text="Not found"/>
        <ErrorNotice error/>
        <p><a href="/">"Go to the timeline"</a></p>
    }
}
