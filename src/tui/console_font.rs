//! The bare Linux console (`TERM=linux`) draws from a font of at most 512 glyphs: ASCII,
//! Latin-1, box drawing and a few blocks. Anything else shows as a diamond or nothing, so a
//! finished frame is rewritten cell by cell into glyphs the console has, whatever drew it.

use ratatui::buffer::Buffer;

/// Glyphs the screens use that the console lacks, and the look-alike drawn instead.
const LOOK_ALIKES: &[(&str, &str)] = &[
    // The spinner's frames turn like a line.
    ("⠋", "|"),
    ("⠙", "/"),
    ("⠸", "-"),
    ("⠴", "\\"),
    // The text cursor, the big total's thousands comma, password dots.
    ("▏", "_"),
    ("▖", ","),
    ("•", "*"),
    ("…", "."),
    ("→", ">"),
    ("←", "<"),
    ("↑", "^"),
    ("↓", "v"),
    ("—", "-"),
    ("–", "-"),
    ("✓", "+"),
];

/// True for a glyph every Linux console font has.
fn on_console(glyph: &str) -> bool {
    glyph.chars().all(|c| {
        c.is_ascii()
            || ('\u{a0}'..='\u{ff}').contains(&c)
            || ('\u{2500}'..='\u{257f}').contains(&c)
            || matches!(c, '▀' | '▄' | '█' | '▌' | '▐' | '░' | '▒' | '▓')
    })
}

/// The glyph to draw on the console for `glyph`.
pub fn console_glyph(glyph: &str) -> &str {
    if on_console(glyph) {
        return glyph;
    }
    LOOK_ALIKES
        .iter()
        .find(|(wide, _)| *wide == glyph)
        .map_or("?", |(_, narrow)| narrow)
}

/// Rewrites every cell of a drawn frame into glyphs the console has. A double-width
/// glyph (an emoji) becomes one "?" and a space, so nothing shifts.
pub fn rewrite(buffer: &mut Buffer) {
    let mut blank_next = false;
    for cell in &mut buffer.content {
        if blank_next {
            blank_next = false;
            cell.set_symbol(" ");
            continue;
        }
        let glyph = cell.symbol();
        let replaced = console_glyph(glyph);
        if replaced != glyph {
            blank_next = ratatui::text::Span::raw(glyph).width() > 1;
            let replaced = replaced.to_owned();
            cell.set_symbol(&replaced);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;

    #[test]
    fn only_console_glyphs_are_left() {
        for (glyph, _) in LOOK_ALIKES {
            assert!(on_console(console_glyph(glyph)), "{glyph}");
        }
        assert_eq!(console_glyph("│"), "│");
        assert_eq!(console_glyph("é"), "é");
        assert_eq!(console_glyph("⠋"), "|");
        assert_eq!(console_glyph("中"), "?");
    }

    #[test]
    fn a_wide_glyph_becomes_one_cell_and_a_space() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 4, 1));
        buffer.set_string(0, 0, "😀ab", ratatui::style::Style::new());
        rewrite(&mut buffer);
        let row: Vec<&str> = buffer.content.iter().map(|c| c.symbol()).collect();
        assert_eq!(row, vec!["?", " ", "a", "b"]);
    }
}
