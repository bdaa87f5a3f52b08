//! The first screen: log in, or register a customer account.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use tui_input::Input;

use crate::domain::Error;
use crate::domain::values::limits;
use crate::service::auth::NewAccount;
use crate::tui::effect::{Effect, Secret};
use crate::tui::keymap::{self, Command};
use crate::tui::screens::{edit_within, limit_hint, tail};
use crate::tui::theme::Theme;

/// The labels' column; values start after it.
const LABEL_WIDTH: usize = 17;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Login,
    Register,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Username,
    Email,
    Phone,
    Password,
}

impl Field {
    /// The field a service error names (`Error::Invalid`'s field).
    fn named(name: &str) -> Option<Field> {
        [Field::Username, Field::Email, Field::Phone, Field::Password]
            .into_iter()
            .find(|f| f.label().starts_with(name))
    }

    /// The most characters the field takes (the service refuses more).
    fn max(self) -> usize {
        match self {
            Field::Username => limits::USERNAME,
            Field::Email => limits::EMAIL,
            Field::Phone => limits::PHONE,
            Field::Password => limits::PASSWORD,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Field::Username => "Username",
            Field::Email => "Email",
            Field::Phone => "Phone (optional)",
            Field::Password => "Password",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct LoginScreen {
    pub mode: Mode,
    username: Input,
    email: Input,
    phone: Input,
    password: Input,
    focus: usize,
    /// Each field's problem, shown under it; all of them at once.
    errors: Vec<(Field, String)>,
    /// The answer to the last attempt, shown under the form.
    pub error: Option<String>,
    pub waiting: bool,
    /// An admin confirms something (closing a kiosk): no registering from here.
    pub admin_only: bool,
}

impl LoginScreen {
    /// The form an admin fills in to confirm something (closing a kiosk).
    pub fn admin_only() -> LoginScreen {
        LoginScreen {
            admin_only: true,
            ..LoginScreen::default()
        }
    }

    fn fields(&self) -> &'static [Field] {
        match self.mode {
            Mode::Login => &[Field::Username, Field::Password],
            Mode::Register => &[Field::Username, Field::Email, Field::Phone, Field::Password],
        }
    }

    fn input(&mut self, field: Field) -> &mut Input {
        match field {
            Field::Username => &mut self.username,
            Field::Email => &mut self.email,
            Field::Phone => &mut self.phone,
            Field::Password => &mut self.password,
        }
    }

    fn value(&self, field: Field) -> &str {
        match field {
            Field::Username => self.username.value(),
            Field::Email => self.email.value(),
            Field::Phone => self.phone.value(),
            Field::Password => self.password.value(),
        }
    }

    /// Keys go to the focused field, except the login table's keys.
    pub fn on_key(&mut self, key: &KeyEvent) -> Option<Effect> {
        let count = self.fields().len();
        match keymap::lookup(keymap::LOGIN, key) {
            Some(Command::NextField) => self.focus = (self.focus + 1) % count,
            Some(Command::PrevField) => self.focus = (self.focus + count - 1) % count,
            Some(Command::ToggleRegister) if !self.admin_only => {
                self.mode = match self.mode {
                    Mode::Login => Mode::Register,
                    Mode::Register => Mode::Login,
                };
                self.focus = 0;
                self.error = None;
                self.errors.clear();
            }
            Some(Command::Submit) if !self.waiting => return self.submit(),
            _ => {
                let field = self.fields()[self.focus.min(count - 1)];
                if edit_within(self.input(field), key, field.max()) {
                    self.error = None;
                    self.errors.retain(|(f, _)| *f != field);
                }
                // A full field says so under itself (a paste that was cut, say).
                if self.value(field).chars().count() >= field.max() {
                    let (hint, _) = limit_hint(self.value(field), field.max());
                    self.errors.retain(|(f, _)| *f != field);
                    self.errors.push((field, hint));
                }
            }
        }
        None
    }

    fn submit(&mut self) -> Option<Effect> {
        let account = NewAccount {
            username: self.username.value().to_owned(),
            email: self.email.value().to_owned(),
            phone: self.phone.value().to_owned(),
            password: self.password.value().to_owned(),
        };
        self.errors = match self.mode {
            Mode::Login => self
                .fields()
                .iter()
                .filter(|f| self.value(**f).trim().is_empty())
                .map(|f| (*f, "is required".to_owned()))
                .collect(),
            Mode::Register => account.problems().iter().filter_map(field_error).collect(),
        };
        if let Some((first, _)) = self.errors.first() {
            self.focus_on(*first);
            return None;
        }
        self.waiting = true;
        self.error = None;
        Some(match self.mode {
            Mode::Login => Effect::Login {
                username: account.username,
                password: Secret(account.password),
            },
            Mode::Register => Effect::Register(account),
        })
    }

    fn focus_on(&mut self, field: Field) {
        self.focus = self.fields().iter().position(|f| *f == field).unwrap_or(0);
    }

    /// After an answer. A refused login keeps the username and clears the password; a
    /// refused registration keeps everything, the problem shown under the field it names.
    pub fn refused(&mut self, err: &Error) {
        self.waiting = false;
        if self.mode == Mode::Register {
            match field_error(err) {
                Some((field, message)) => {
                    self.errors = vec![(field, message)];
                    self.focus_on(field);
                }
                None => self.error = Some(err.to_string()),
            }
            return;
        }
        self.error = Some(err.to_string());
        self.password = Input::default();
        self.focus_on(Field::Password);
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme, shop: &str) {
        let fields = self.fields();
        // A long error wraps onto a second line.
        let height = (fields.len() * 2 + self.errors.len()) as u16 + 6;
        let [_, middle, _] = Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(height),
            Constraint::Fill(1),
        ])
        .areas(area);
        let [_, form, _] = Layout::horizontal([
            Constraint::Fill(1),
            Constraint::Max(60),
            Constraint::Fill(1),
        ])
        .areas(middle);
        let title = match (self.admin_only, self.mode) {
            (true, _) => " Admin ",
            (false, Mode::Login) => " Log in ",
            (false, Mode::Register) => " Register a customer account ",
        };
        let mut keys = vec![
            Span::styled(" Enter", theme.key()),
            Span::raw(" submit  "),
            Span::styled("Tab", theme.key()),
            Span::raw(" next  "),
        ];
        if self.admin_only {
            keys.extend([Span::styled("Esc", theme.key()), Span::raw(" cancel ")]);
        } else {
            let other = match self.mode {
                Mode::Login => " register ",
                Mode::Register => " log in ",
            };
            keys.extend([Span::styled("F2", theme.key()), Span::raw(other)]);
        }
        let block = Block::bordered()
            .title(Line::styled(title, theme.title()))
            .title_bottom(Line::from(keys));
        let inner = block.inner(form);
        frame.render_widget(block, form);

        let mut lines = vec![Line::styled(shop.to_owned(), theme.title()), Line::raw("")];
        let mut cursor = None;
        // A value wider than the box shows its end, where typing goes.
        let room = usize::from(inner.width).saturating_sub(LABEL_WIDTH + 1);
        for (i, field) in fields.iter().enumerate() {
            let value = self.value(*field);
            let shown = if *field == Field::Password {
                "•".repeat(value.chars().count())
            } else {
                value.to_owned()
            };
            let shown = tail(&shown, room);
            let label = format!("{:<LABEL_WIDTH$}", field.label());
            let focused = i == self.focus;
            let style = if focused {
                theme.selected()
            } else {
                theme.dim()
            };
            if focused {
                let input = match field {
                    Field::Username => &self.username,
                    Field::Email => &self.email,
                    Field::Phone => &self.phone,
                    Field::Password => &self.password,
                };
                let x = inner.x + (LABEL_WIDTH + input.visual_cursor().min(room)) as u16;
                cursor = Some((
                    x.min(inner.right().saturating_sub(1)),
                    inner.y + lines.len() as u16,
                ));
            }
            lines.push(Line::from(vec![
                Span::raw(label),
                Span::styled(format!("{shown:<30}"), style),
            ]));
            lines.push(match self.errors.iter().find(|(f, _)| f == field) {
                Some((_, message)) => {
                    Line::styled(format!("{:LABEL_WIDTH$}{message}", ""), theme.error())
                }
                None => Line::raw(""),
            });
        }
        if self.waiting {
            lines.push(Line::styled("Checking…", theme.dim()));
        } else if let Some(error) = &self.error {
            lines.push(Line::styled(error.clone(), theme.error()));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        if let Some(position) = cursor {
            frame.set_cursor_position(position);
        }
    }
}

/// The field a service's refusal names, with its message.
fn field_error(err: &Error) -> Option<(Field, String)> {
    match err {
        Error::Invalid { field, message } => Some((Field::named(field)?, message.clone())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn press(screen: &mut LoginScreen, code: KeyCode) -> Option<Effect> {
        screen.on_key(&KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn typed(screen: &mut LoginScreen, text: &str) {
        for c in text.chars() {
            press(screen, KeyCode::Char(c));
        }
    }

    #[test]
    fn typing_fills_the_focused_field_and_enter_logs_in() {
        let mut s = LoginScreen::default();
        typed(&mut s, "amina");
        press(&mut s, KeyCode::Tab);
        typed(&mut s, "secret phrase");
        let effect = press(&mut s, KeyCode::Enter).unwrap();
        assert_eq!(
            effect,
            Effect::Login {
                username: "amina".into(),
                password: Secret("secret phrase".into())
            }
        );
        assert!(s.waiting);
        assert_eq!(
            press(&mut s, KeyCode::Enter),
            None,
            "no double submit while waiting"
        );
    }

    #[test]
    fn empty_fields_are_named() {
        let mut s = LoginScreen::default();
        typed(&mut s, "amina");
        assert_eq!(press(&mut s, KeyCode::Enter), None);
        assert_eq!(s.errors, vec![(Field::Password, "is required".into())]);
        assert_eq!(s.focus, 1);
    }

    /// The register form filled in: username, email, phone, password.
    fn register(s: &mut LoginScreen, fields: [&str; 4]) -> Option<Effect> {
        press(s, KeyCode::F(2));
        for text in fields {
            typed(s, text);
            press(s, KeyCode::Tab);
        }
        press(s, KeyCode::Enter)
    }

    #[test]
    fn registering_shows_every_field_error_at_once_under_its_field() {
        let mut s = LoginScreen::default();
        assert_eq!(register(&mut s, ["a b", "amina@", "0712", "short"]), None);
        let fields: Vec<Field> = s.errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            vec![Field::Username, Field::Email, Field::Phone, Field::Password]
        );
        assert_eq!(s.focus, 0, "the first field with a problem has the focus");
        // Fixing one field clears its error only; the password stays typed.
        typed(&mut s, "x");
        assert_eq!(s.errors.len(), 3);
        assert_eq!(s.password.value(), "short");
    }

    #[test]
    fn a_refused_registration_keeps_the_password_and_names_the_field() {
        let mut s = LoginScreen::default();
        let sent = register(
            &mut s,
            ["amina", "amina@example.co.ke", "", "a good passphrase"],
        );
        assert!(matches!(sent, Some(Effect::Register(_))));
        s.refused(&Error::invalid("Username", "is already taken"));
        assert_eq!(s.errors, vec![(Field::Username, "is already taken".into())]);
        assert_eq!(s.password.value(), "a good passphrase");
        assert_eq!(s.focus, 0);
        assert!(!s.waiting);
    }

    #[test]
    fn a_refusal_keeps_the_username_and_clears_the_password() {
        let mut s = LoginScreen::default();
        typed(&mut s, "amina");
        press(&mut s, KeyCode::Tab);
        typed(&mut s, "wrong");
        press(&mut s, KeyCode::Enter);
        s.refused(&Error::InvalidCredentials);
        assert_eq!(s.username.value(), "amina");
        assert_eq!(s.password.value(), "");
        assert!(!s.waiting);
    }

    #[test]
    fn f2_switches_to_registration_with_four_fields() {
        let mut s = LoginScreen::default();
        press(&mut s, KeyCode::F(2));
        typed(&mut s, "amina");
        press(&mut s, KeyCode::Tab);
        typed(&mut s, "amina@example.co.ke");
        press(&mut s, KeyCode::Tab);
        press(&mut s, KeyCode::Tab);
        typed(&mut s, "a good passphrase");
        match press(&mut s, KeyCode::Enter) {
            Some(Effect::Register(account)) => {
                assert_eq!(account.email, "amina@example.co.ke");
                assert_eq!(account.phone, "");
            }
            other => panic!("expected registration, got {other:?}"),
        }
    }
}
