//! One module per screen: its state, its key handling and its drawing.

pub mod admin;
pub mod cart;
pub mod catalog;
pub mod login;
pub mod orders;
pub mod payment;
pub mod pos;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Margin, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState};
use tui_input::{Input, InputRequest};

use crate::tui::theme::Theme;

/// The longest text a field takes unless it says otherwise; a huge paste stops here
/// instead of growing without end.
pub const MAX_FIELD_CHARS: usize = 256;

/// Applies an editing key to a text field. Returns true when the text changed.
pub fn edit(input: &mut Input, key: &KeyEvent) -> bool {
    edit_within(input, key, MAX_FIELD_CHARS)
}

/// [`edit`] for a field that takes at most `max` characters: typing stops there.
pub fn edit_within(input: &mut Input, key: &KeyEvent, max: usize) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let request = match key.code {
        KeyCode::Char('u') if ctrl => InputRequest::DeleteLine,
        KeyCode::Char('w') if ctrl => InputRequest::DeletePrevWord,
        KeyCode::Char(_) if ctrl => return false,
        KeyCode::Char(c) if !c.is_control() && input.value().chars().count() < max => {
            InputRequest::InsertChar(c)
        }
        KeyCode::Backspace => InputRequest::DeletePrevChar,
        KeyCode::Delete => InputRequest::DeleteNextChar,
        KeyCode::Left => InputRequest::GoToPrevChar,
        KeyCode::Right => InputRequest::GoToNextChar,
        KeyCode::Home => InputRequest::GoToStart,
        KeyCode::End => InputRequest::GoToEnd,
        _ => return false,
    };
    input.handle(request).is_some_and(|response| response.value)
}

/// The end of `value` that fits in `width` columns, "…" first when it was cut: a field
/// shows where typing goes, never text spilling out of its box.
pub fn tail(value: &str, width: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= width {
        return value.to_owned();
    }
    let keep = width.saturating_sub(1);
    std::iter::once('…')
        .chain(chars[chars.len() - keep..].iter().copied())
        .collect()
}

/// The start of `value` that fits in `width` columns, "…" last when it was cut: a name too
/// long for its place reads as shortened, not as broken.
pub fn head(value: &str, width: usize) -> String {
    if value.chars().count() <= width {
        return value.to_owned();
    }
    match width.checked_sub(1) {
        Some(keep) => value
            .chars()
            .take(keep)
            .chain(std::iter::once('…'))
            .collect(),
        None => String::new(),
    }
}

/// The hint under a field with a limit: how much of it is used, said plainly once full.
pub fn limit_hint(value: &str, max: usize) -> (String, bool) {
    let used = value.chars().count();
    if used >= max {
        (format!("{used}/{max}: the most this field takes"), true)
    } else {
        (format!("{used}/{max}"), false)
    }
}

/// A column as wide as its widest value, and at least `min`: a number is never cut.
pub fn fit<S: AsRef<str>>(min: u16, values: impl IntoIterator<Item = S>) -> Constraint {
    let widest = values
        .into_iter()
        .map(|v| v.as_ref().chars().count())
        .max()
        .unwrap_or(0);
    Constraint::Length(u16::try_from(widest).unwrap_or(u16::MAX).max(min))
}

/// Moves a selection by `delta` within `len` rows, staying in range.
pub fn step(selected: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    selected.saturating_add_signed(delta).min(len - 1)
}

/// A table of rows under a header, in a titled border, the selected row highlighted.
pub struct Listing<'a> {
    pub title: &'a str,
    pub header: &'a [&'a str],
    pub widths: &'a [Constraint],
    /// None: no row is highlighted (a table to read, not to pick from).
    pub selected: Option<usize>,
    /// Shown inside the border when there are no rows (None: show nothing, e.g. while loading).
    pub empty: Option<&'a str>,
}

impl Listing<'_> {
    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme, rows: Vec<Row<'_>>) {
        let is_empty = rows.is_empty();
        let table = Table::new(rows, self.widths.iter().copied())
            .header(Row::new(self.header.iter().copied()).style(theme.title()))
            .block(Block::bordered().title(Line::styled(self.title, theme.title())))
            .row_highlight_style(theme.selected());
        let mut state = TableState::default().with_selected(self.selected.filter(|_| !is_empty));
        frame.render_stateful_widget(table, area, &mut state);
        if let (true, Some(empty)) = (is_empty, self.empty) {
            let inner = area.inner(Margin::new(2, 2));
            frame.render_widget(Paragraph::new(empty).style(theme.dim()), inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_too_long_for_its_place_is_cut_with_an_ellipsis() {
        assert_eq!(head("ByteMtaani Duka", 15), "ByteMtaani Duka");
        assert_eq!(head("ByteMtaani Duka", 8), "ByteMta…");
        assert_eq!(tail("ByteMtaani Duka", 8), "…ni Duka");
        assert_eq!(head("Duka", 0), "");
    }

    #[test]
    fn typing_stops_at_the_field_limit_and_ignores_control_characters() {
        let mut input = Input::default();
        for _ in 0..10_000 {
            edit(
                &mut input,
                &KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE),
            );
        }
        assert_eq!(input.value().chars().count(), MAX_FIELD_CHARS);
        let mut input = Input::default();
        assert!(!edit(
            &mut input,
            &KeyEvent::new(KeyCode::Char('\u{1b}'), KeyModifiers::NONE)
        ));
        assert!(edit(
            &mut input,
            &KeyEvent::new(KeyCode::Char('ß'), KeyModifiers::NONE)
        ));
        assert!(edit(
            &mut input,
            &KeyEvent::new(KeyCode::Char('😀'), KeyModifiers::NONE)
        ));
        assert_eq!(input.value(), "ß😀");
    }

    #[test]
    fn a_field_with_its_own_limit_stops_there() {
        let mut input = Input::default();
        let x = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE);
        for _ in 0..40 {
            edit_within(&mut input, &x, 32);
        }
        assert_eq!(input.value().chars().count(), 32);
        assert!(!edit_within(&mut input, &x, 32));
    }

    /// What a field shows of a value wider than its box: the end, where the cursor is.
    #[test]
    fn a_long_value_shows_its_end() {
        assert_eq!(tail("abcdef", 4), "…def");
        assert_eq!(tail("abc", 4), "abc");
    }

    #[test]
    fn steps_stay_in_range() {
        assert_eq!(step(0, -1, 5), 0);
        assert_eq!(step(4, 1, 5), 4);
        assert_eq!(step(2, 10, 5), 4);
        assert_eq!(step(0, 1, 0), 0);
    }
}

/// What a screen asks of the app after a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Nothing,
    Run(crate::tui::effect::Effect),
    Ask(Prompt),
}

/// A question the app shows in a popup.
#[derive(Debug, Clone, PartialEq)]
pub enum Prompt {
    Quantity {
        product_id: uuid::Uuid,
        name: String,
    },
    PriceRange,
    Checkout,
    Order {
        order_id: uuid::Uuid,
    },
}
