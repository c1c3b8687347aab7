//! The one error type of the UI's server functions: what went wrong, in words a person reading
//! the page can act on. Internal details (SQL, paths) go to the server log, never to the page.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// A value in the URL the page cannot use (a date that is not a date, an edited cursor).
    #[error("{0}")]
    BadRequest(String),
    /// Nobody is signed in (the session ended).
    #[error("{0}")]
    Unauthorized(String),
    /// The signed-in person's role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A change that the present state does not allow (an account that is already theirs).
    #[error("{0}")]
    Conflict(String),
    /// The store (or something else on the server) failed; the reason is in the server log
    /// under this request id, if the server assigns them.
    #[error("the server failed to answer{}", request_hint(.0))]
    Internal(Option<String>),
    /// Calling the server function itself failed (network, encoding).
    #[error("{0}")]
    ServerFn(ServerFnErrorErr),
}

fn request_hint(request_id: &Option<String>) -> String {
    match request_id {
        Some(id) => format!(" (request id {id}; details are in the server log)"),
        None => " (details are in the server log)".to_owned(),
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::ServerFn(value)
    }
}

impl AppError {
    /// The HTTP status a page showing this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::Unauthorized(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::Internal(_) | AppError::ServerFn(_) => 500,
        }
    }

    /// A short heading for the error notice.
    pub fn title(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "Check the filters",
            AppError::Unauthorized(_) => "Sign in again",
            AppError::Forbidden(_) => "Not for your role",
            AppError::NotFound(_) => "Not found",
            AppError::Conflict(_) => "Not done",
            AppError::Internal(_) => "Something went wrong on the server",
            AppError::ServerFn(_) => "The server could not be reached",
        }
    }
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    //! Turning store failures into page errors, on the server only.

    use super::AppError;
    use domain::store::{Store, StoreError};

    /// The request id the server's middleware assigned, to quote on an error page.
    fn request_id() -> Option<String> {
        let parts = leptos::prelude::use_context::<http::request::Parts>()?;
        let id = parts.headers.get("x-request-id")?.to_str().ok()?;
        Some(id.to_owned())
    }

    impl From<StoreError> for AppError {
        fn from(err: StoreError) -> Self {
            match err {
                StoreError::BadCursor(_) => AppError::BadRequest(
                    "This “Older” link is not one Attest made (it may have been edited or cut \
                     short). Start again from the newest events."
                        .to_owned(),
                ),
                StoreError::Invalid(reason) => AppError::BadRequest(reason),
                StoreError::NotFound(reason) => AppError::NotFound(reason),
                StoreError::Conflict(reason) => AppError::Conflict(reason),
                other => internal(&other),
            }
        }
    }

    /// Logs `err` with the request id and returns the error the page shows instead.
    pub fn internal(err: &dyn std::fmt::Display) -> AppError {
        let request_id = request_id();
        tracing::error!(error = %err, request_id = ?request_id, "page data failed");
        AppError::Internal(request_id)
    }

    /// The store the server provided when it built the routes.
    pub fn store() -> Result<Store, AppError> {
        leptos::prelude::use_context::<Store>().ok_or_else(|| {
            internal(&"no Store in the Leptos context: the server did not provide one")
        })
    }

    /// Passes a server function's result on, first setting the response status its error
    /// calls for (of the page being rendered, or of the server function call).
    pub fn answer<T>(result: Result<T, AppError>) -> Result<T, AppError> {
        if let Err(err) = &result {
            // A plain form's post is answered with a redirect back to its page, carrying
            // the error in the URL; a status set here would replace the redirect's.
            if !plain_form_post() {
                set_status(err.status());
            }
        }
        result
    }

    /// Whether the request being answered is a server function posted by a plain HTML form
    /// (without JavaScript): the browser then asks for HTML.
    pub fn plain_form_post() -> bool {
        let Some(parts) = leptos::prelude::use_context::<http::request::Parts>() else {
            return false;
        };
        parts.method == http::Method::POST
            && parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"))
    }

    /// Sets the status of the page response being rendered.
    pub fn set_status(status: u16) {
        if let (Some(options), Ok(code)) = (
            leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(status),
        ) {
            options.set_status(code);
        }
    }
}

/// The error a server function called by a plain form (without JavaScript) left in the URL it
/// redirected back to (`__path` and `__err`), if it was `server_fn`'s.
pub fn form_error(
    query: &leptos_router::params::ParamsMap,
    server_fn_path: &str,
) -> Option<AppError> {
    use leptos::server_fn::error::ServerFnUrlError;
    if query.get_str("__path")? != server_fn_path {
        return None;
    }
    Some(ServerFnUrlError::<AppError>::decode_err(
        query.get_str("__err")?,
    ))
}

/// Sets the HTTP status of the page being rendered on the server; nothing in the browser.
pub fn set_page_status(status: u16) {
    #[cfg(feature = "ssr")]
    ssr::set_status(status);
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}
