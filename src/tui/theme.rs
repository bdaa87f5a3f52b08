//! Styles. Only the 16 basic colours are used, so any terminal shows them; with NO_COLOR set
//! (https://no-color.org) everything is drawn with bold and reverse video alone. On the bare
//! Linux console (`TERM=linux`) only the glyphs its fonts have are drawn (see
//! `console_font`).

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    color: bool,
    console_font: bool,
}

impl Theme {
    pub fn from_env() -> Theme {
        let term = std::env::var("TERM").unwrap_or_default();
        Theme::for_terminal(&term, std::env::var_os("NO_COLOR").as_deref())
    }

    /// For a terminal of type `term` (an SSH client's is given with its pty request).
    pub fn for_terminal(term: &str, no_color: Option<&std::ffi::OsStr>) -> Theme {
        let theme = Theme::for_no_color(no_color);
        if term == "linux" {
            theme.on_console_font()
        } else {
            theme
        }
    }

    /// NO_COLOR set to anything but the empty string turns colour off.
    pub fn for_no_color(no_color: Option<&std::ffi::OsStr>) -> Theme {
        Theme {
            color: no_color.is_none_or(|v| v.is_empty()),
            console_font: false,
        }
    }

    pub const fn plain() -> Theme {
        Theme {
            color: false,
            console_font: false,
        }
    }

    /// Drawn for the Linux console's fonts (at most 512 glyphs: ASCII, Latin-1, box
    /// drawing, ▀ ▄ █): everything else is replaced by a look-alike it has.
    pub const fn on_console_font(self) -> Theme {
        Theme {
            console_font: true,
            ..self
        }
    }

    pub const fn console_font(self) -> bool {
        self.console_font
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn dim(self) -> Style {
        if self.color {
            self.fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn money(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_turns_colour_off_unless_empty() {
        let colour = Theme {
            color: true,
            console_font: false,
        };
        assert_eq!(Theme::for_no_color(None), colour);
        assert_eq!(Theme::for_no_color(Some("".as_ref())), colour);
        assert_eq!(Theme::for_no_color(Some("1".as_ref())), Theme::plain());
    }
}
