//! A popup form: labelled fields checked as they are typed, the error beside its field.
//! A refused save keeps every value typed; only Esc throws them away.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use tui_input::Input;

use crate::domain::Error;
use crate::tui::screens::{MAX_FIELD_CHARS, edit_within, limit_hint, tail};
use crate::tui::theme::Theme;
use crate::tui::view::popup_in;

/// How a field's text is checked while it is typed.
#[derive(Debug, Clone)]
pub enum Check {
    Any,
    Rule(fn(&str) -> Result<(), String>),
    /// A pick list: one of these words, chosen with ← → or by typing its first letter.
    OneOf(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct Field {
    /// Also the name the services use for it in their errors ("Price", "SKU"…).
    pub label: &'static str,
    pub input: Input,
    pub error: Option<String>,
    pub secret: bool,
    pub check: Check,
    /// The most characters it takes; None: the app's general limit, not shown.
    pub max: Option<usize>,
}

impl Field {
    pub fn new(label: &'static str, value: impl Into<String>) -> Field {
        Field {
            label,
            input: Input::new(value.into()),
            error: None,
            secret: false,
            check: Check::Any,
            max: None,
        }
    }

    /// Takes at most `max` characters, the limit shown while it has the focus.
    pub fn max(mut self, max: usize) -> Field {
        self.max = Some(max);
        self
    }

    pub fn rule(mut self, rule: fn(&str) -> Result<(), String>) -> Field {
        self.check = Check::Rule(rule);
        self
    }

    pub fn one_of(mut self, words: Vec<String>) -> Field {
        self.check = Check::OneOf(words);
        self
    }

    pub fn secret(mut self) -> Field {
        self.secret = true;
        self
    }

    fn checked(&self) -> Option<String> {
        let value = self.input.value();
        match &self.check {
            Check::Any => None,
            Check::Rule(rule) => rule(value).err(),
            Check::OneOf(words) if words.iter().any(|w| w.eq_ignore_ascii_case(value.trim())) => {
                None
            }
            Check::OneOf(words) => Some(format!("one of: {}", words.join(", "))),
        }
    }
}

const FORM_WIDTH: u16 = 70;

/// A pick list's words, the chosen one highlighted, after how to choose.
fn pick_hint(words: &[String], current: &str, theme: Theme) -> Vec<Span<'static>> {
    let mut spans = vec![Span::styled("← → ", theme.key())];
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" / ", theme.dim()));
        }
        let style = if word.eq_ignore_ascii_case(current.trim()) {
            theme.selected()
        } else {
            theme.dim()
        };
        spans.push(Span::styled(word.clone(), style));
    }
    spans
}

/// The word a key picks in a pick list showing `current`: ← and → step through the words
/// (round), a letter goes to the next word starting with it.
fn pick(words: &[String], current: &str, key: &KeyEvent) -> Option<String> {
    if words.is_empty() {
        return None;
    }
    let at = words
        .iter()
        .position(|w| w.eq_ignore_ascii_case(current.trim()));
    let n = words.len();
    let next = match key.code {
        KeyCode::Right | KeyCode::Char(' ') => at.map_or(0, |i| (i + 1) % n),
        KeyCode::Left => at.map_or(n - 1, |i| (i + n - 1) % n),
        KeyCode::Char(c) => {
            let start = at.map_or(0, |i| i + 1);
            (0..n).map(|k| (start + k) % n).find(|&i| {
                words[i]
                    .chars()
                    .next()
                    .is_some_and(|f| f.eq_ignore_ascii_case(&c))
            })?
        }
        _ => return None,
    };
    Some(words[next].clone())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormKey {
    Nothing,
    Cancel,
    /// Every field passed its check; the caller sends the values.
    Submit,
}

#[derive(Debug, Clone)]
pub struct Form {
    pub title: String,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// A refusal that belongs to no one field (shown under the form).
    pub error: Option<String>,
    pub sending: bool,
}

impl Form {
    pub fn new(title: impl Into<String>, fields: Vec<Field>) -> Form {
        Form {
            title: title.into(),
            fields,
            focus: 0,
            error: None,
            sending: false,
        }
    }

    pub fn value(&self, label: &str) -> &str {
        self.fields
            .iter()
            .find(|f| f.label == label)
            .map_or("", |f| f.input.value())
    }

    pub fn on_key(&mut self, key: &KeyEvent) -> FormKey {
        if self.sending {
            return FormKey::Nothing; // one save at a time; its answer reopens the form
        }
        let last = self.fields.len().saturating_sub(1);
        match key.code {
            KeyCode::Esc => return FormKey::Cancel,
            KeyCode::Tab | KeyCode::Down => self.focus = (self.focus + 1).min(last),
            KeyCode::BackTab | KeyCode::Up => self.focus = self.focus.saturating_sub(1),
            KeyCode::Enter => {
                for field in &mut self.fields {
                    field.error = field.checked();
                }
                if let Some(bad) = self.fields.iter().position(|f| f.error.is_some()) {
                    self.focus = bad;
                } else {
                    self.error = None;
                    self.sending = true;
                    return FormKey::Submit;
                }
            }
            _ => {
                if let Some(field) = self.fields.get_mut(self.focus)
                    && let Check::OneOf(words) = &field.check
                {
                    if let Some(word) = pick(words, field.input.value(), key) {
                        field.input = Input::new(word);
                        field.error = None;
                    }
                } else if let Some(field) = self.fields.get_mut(self.focus)
                    && edit_within(&mut field.input, key, field.max.unwrap_or(MAX_FIELD_CHARS))
                {
                    field.error = field.checked();
                    self.error = None;
                }
            }
        }
        FormKey::Nothing
    }

    /// A refused save: the error goes beside the field it names, else under the form.
    pub fn refused(&mut self, err: &Error) {
        self.sending = false;
        if let Error::Invalid { field, message } = err
            && let Some(i) = self.fields.iter().position(|f| f.label == *field)
        {
            self.fields[i].error = Some(message.clone());
            self.focus = i;
            return;
        }
        self.error = Some(err.to_string());
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let label_width = self.fields.iter().map(|f| f.label.len()).max().unwrap_or(0);
        // One line per value (its end when longer), inside the borders, after the label.
        let room = usize::from(FORM_WIDTH.min(area.width)).saturating_sub(label_width + 4);
        let mut lines = Vec::new();
        for (i, field) in self.fields.iter().enumerate() {
            let shown = if field.secret {
                "•".repeat(field.input.value().chars().count())
            } else {
                field.input.value().to_owned()
            };
            let shown = tail(&shown, room);
            let focused = i == self.focus;
            let style = if focused {
                theme.selected()
            } else {
                Default::default()
            };
            let pick_list = matches!(field.check, Check::OneOf(_));
            let cursor = if focused && !pick_list { "▏" } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!("{:>label_width$} ", field.label), theme.dim()),
                Span::styled(format!("{shown}{cursor}"), style),
            ]));
            let hint = match (&field.error, &field.check, field.max) {
                (Some(error), _, _) => vec![Span::styled(error.clone(), theme.error())],
                (None, Check::OneOf(words), _) if focused => {
                    pick_hint(words, field.input.value(), theme)
                }
                (None, _, Some(max)) if focused => {
                    let (hint, full) = limit_hint(field.input.value(), max);
                    let style = if full { theme.warn() } else { theme.dim() };
                    vec![Span::styled(hint, style)]
                }
                _ => Vec::new(),
            };
            if !hint.is_empty() {
                let indent = Span::raw(" ".repeat(label_width + 1));
                lines.push(Line::from([vec![indent], hint].concat()));
            }
        }
        lines.push(Line::raw(""));
        lines.push(match (&self.error, self.sending) {
            (_, true) => Line::styled("Saving…", theme.dim()),
            (Some(error), _) => Line::styled(error.clone(), theme.error()),
            (None, _) => Line::styled("Enter saves · Tab / ↑ ↓ move · Esc cancels", theme.dim()),
        });
        popup_in(frame, area, theme, &self.title, lines, FORM_WIDTH);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn press(form: &mut Form, code: KeyCode) -> FormKey {
        form.on_key(&KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn number(text: &str) -> Result<(), String> {
        text.parse::<i32>()
            .map(|_| ())
            .map_err(|_| "a whole number".into())
    }

    #[test]
    fn fields_are_checked_as_typed_and_again_on_enter() {
        let mut form = Form::new(
            "Stock",
            vec![
                Field::new("Change", "").rule(number),
                Field::new("Reason", "").one_of(vec!["received".into(), "damaged".into()]),
            ],
        );
        press(&mut form, KeyCode::Char('x'));
        assert_eq!(form.fields[0].error.as_deref(), Some("a whole number"));
        press(&mut form, KeyCode::Backspace);
        press(&mut form, KeyCode::Char('5'));
        assert_eq!(form.fields[0].error, None);
        assert_eq!(press(&mut form, KeyCode::Enter), FormKey::Nothing);
        assert_eq!(form.focus, 1, "Enter goes to the field that is wrong");
        for c in "Damaged".chars() {
            press(&mut form, KeyCode::Char(c));
        }
        assert_eq!(press(&mut form, KeyCode::Enter), FormKey::Submit);
        assert_eq!(
            press(&mut form, KeyCode::Enter),
            FormKey::Nothing,
            "sending"
        );
    }

    #[test]
    fn a_pick_list_is_chosen_with_arrows_or_a_first_letter_never_typed() {
        let reasons = vec![
            "received".into(),
            "damaged".into(),
            "count_correction".into(),
        ];
        let mut form = Form::new(
            "Stock",
            vec![Field::new("Reason", "received").one_of(reasons)],
        );
        press(&mut form, KeyCode::Right);
        assert_eq!(form.value("Reason"), "damaged");
        press(&mut form, KeyCode::Left);
        press(&mut form, KeyCode::Left);
        assert_eq!(form.value("Reason"), "count_correction", "round");
        press(&mut form, KeyCode::Char('D'));
        assert_eq!(form.value("Reason"), "damaged");
        for c in "xyz".chars() {
            press(&mut form, KeyCode::Char(c));
        }
        press(&mut form, KeyCode::Backspace);
        assert_eq!(form.value("Reason"), "damaged", "nothing else can be typed");
        assert_eq!(press(&mut form, KeyCode::Enter), FormKey::Submit);
    }

    #[test]
    fn a_field_takes_up_to_its_own_limit_and_no_more() {
        let mut form = Form::new(
            "Product",
            vec![
                Field::new("Description", "").max(1_000),
                Field::new("SKU", "").max(8),
            ],
        );
        for _ in 0..600 {
            press(&mut form, KeyCode::Char('d'));
        }
        assert_eq!(form.value("Description").len(), 600, "not cut at 256");
        press(&mut form, KeyCode::Tab);
        for _ in 0..20 {
            press(&mut form, KeyCode::Char('s'));
        }
        assert_eq!(form.value("SKU"), "ssssssss");
        let (hint, full) = limit_hint(form.value("SKU"), 8);
        assert!(full && hint.starts_with("8/8"), "{hint}");
    }

    #[test]
    fn a_refusal_keeps_the_values_and_names_the_field() {
        let mut form = Form::new(
            "Product",
            vec![Field::new("Name", "Chai"), Field::new("Price", "-1")],
        );
        press(&mut form, KeyCode::Enter);
        form.refused(&Error::invalid("Price", "must not be negative"));
        assert_eq!(form.focus, 1);
        assert_eq!(
            form.fields[1].error.as_deref(),
            Some("must not be negative")
        );
        assert_eq!((form.value("Name"), form.value("Price")), ("Chai", "-1"));
        form.refused(&Error::Conflict(
            "A product with that SKU already exists.".into(),
        ));
        assert!(form.error.as_deref().unwrap().contains("SKU"));
        assert!(!form.sending, "the admin can correct and save again");
    }
}
