//! Pieces the pages share: the site frame, badges, error notices, the timeline's filter form,
//! event table, activity chart and keyboard shortcuts.

pub mod badges;
pub mod chart;
pub mod event_table;
pub mod filter_form;
pub mod keyboard;
pub mod notice;
pub mod site;
