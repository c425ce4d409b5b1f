//! The figures as PNG, for documents that take no SVG: an SVG document rendered by `resvg`
//! at a scale (the report's figures use [`PRINT_SCALE`]) on its own background, encoded as an
//! 8-bit RGBA PNG.
//!
//! Text is drawn with the machine's fonts, found once per process: the files fontconfig's
//! configuration names (read in Rust, no C library), else the usual font folders
//! (`/usr/share/fonts`, `/usr/local/share/fonts`, `~/.fonts`, `~/.local/share/fonts`). The
//! generic `sans-serif` family (and `serif` when its configured family is not installed) is
//! the first installed of Liberation Sans and Arial (the metrics of the sans-serif most
//! document readers have, which the figures' boxes fit), DejaVu Sans, Noto Sans and the
//! Chinese WenQuanYi Micro Hei and Noto Sans CJK SC, else the family fontconfig configures,
//! else any installed font. A character no such font has (Chinese, in a Latin font) is drawn
//! with the first installed font that has it. Without any font the shapes are still drawn
//! and the text is left out; without a font for Chinese the Chinese figures lack their text.
//! Both are logged as warnings ([`fonts`] says what was found).

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg::{self, fontdb};

/// The scale of the report's PNG figures: twice the SVG's size, for print.
pub const PRINT_SCALE: f32 = 2.0;

/// The largest PNG drawn, in pixels a side.
pub const MAX_SIDE: u32 = 8_000;

/// Why an SVG document could not be drawn as a PNG.
#[derive(Debug, thiserror::Error)]
pub enum PngError {
    /// The SVG document could not be read.
    #[error("the SVG document could not be read: {0}")]
    Svg(String),
    /// The drawing would have no pixel, or too many.
    #[error(
        "the figure of {width} × {height} at scale {scale} is not drawable: each side must be \
         1 to {MAX_SIDE} pixels"
    )]
    Size {
        /// The SVG's width.
        width: f32,
        /// The SVG's height.
        height: f32,
        /// The scale asked for.
        scale: f32,
    },
    /// The pixels could not be encoded.
    #[error("the PNG could not be encoded: {0}")]
    Encode(String),
}

/// The fonts the renderer found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fonts {
    /// How many font faces were loaded.
    pub faces: usize,
    /// The family drawn for `sans-serif` (none without any font).
    pub sans_serif: Option<String>,
    /// Whether the English figures' text is drawn.
    pub latin: bool,
    /// Whether the Chinese figures' text is drawn.
    pub chinese: bool,
}

/// The families tried for `sans-serif`, in order, before the configured one.
const PREFERRED: [&str; 6] = [
    "Liberation Sans",
    "Arial",
    "DejaVu Sans",
    "Noto Sans",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
];

/// Text the fonts must draw for the English figures.
const LATIN_SAMPLE: &str = "Mean change 95% CI";

/// Text the fonts must draw for the Chinese figures (words of theirs).
const CHINESE_SAMPLE: &str = "全部受试者平均变化";

struct FontSet {
    db: Arc<fontdb::Database>,
    fonts: Fonts,
}

fn installed(db: &fontdb::Database, family: &str) -> bool {
    db.faces()
        .any(|f| f.families.iter().any(|(name, _)| name == family))
}

/// Whether the text is drawn with the fonts: laid out in `sans-serif` as the figures are,
/// every character has a glyph of some font (not the missing glyph, 0).
fn draws(db: &Arc<fontdb::Database>, text: &str) -> bool {
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"20\"><text x=\"0\" y=\"15\" font-family=\"sans-serif\">{text}</text></svg>"
    );
    let options = usvg::Options {
        fontdb: Arc::clone(db),
        ..usvg::Options::default()
    };
    let Ok(tree) = usvg::Tree::from_str(&svg, &options) else {
        return false;
    };
    let glyphs: Vec<u32> = tree
        .root()
        .children()
        .iter()
        .filter_map(|node| match node {
            usvg::Node::Text(t) => Some(t),
            _ => None,
        })
        .flat_map(|t| t.layouted().iter())
        .flat_map(|span| span.positioned_glyphs.iter().map(|g| g.id.0))
        .collect();
    glyphs.len() >= text.chars().count() && glyphs.iter().all(|&id| id != 0)
}

fn load() -> FontSet {
    let mut db = fontdb::Database::new();
    db.load_system_fonts();
    if db.is_empty() {
        db.load_fonts_dir("/usr/share/fonts");
        db.load_fonts_dir("/usr/local/share/fonts");
    }
    let configured = db.family_name(&fontdb::Family::SansSerif).to_owned();
    let sans_serif = PREFERRED
        .iter()
        .map(|f| (*f).to_owned())
        .chain(std::iter::once(configured))
        .find(|f| installed(&db, f))
        .or_else(|| {
            db.faces()
                .find_map(|f| f.families.first().map(|(n, _)| n.clone()))
        });
    if let Some(family) = &sans_serif {
        db.set_sans_serif_family(family.clone());
        if !installed(&db, db.family_name(&fontdb::Family::Serif)) {
            db.set_serif_family(family.clone());
        }
    }
    let db = Arc::new(db);
    let fonts = Fonts {
        faces: db.len(),
        sans_serif,
        latin: draws(&db, LATIN_SAMPLE),
        chinese: draws(&db, CHINESE_SAMPLE),
    };
    if fonts.faces == 0 {
        tracing::warn!(
            "no font found (fontconfig's folders, /usr/share/fonts): the PNG figures are drawn \
             without their text; install a font package such as fonts-dejavu-core"
        );
    } else if !fonts.chinese {
        tracing::warn!(
            faces = fonts.faces,
            "no font with Chinese characters found: the Chinese PNG figures are drawn without \
             their Chinese text; install a font package such as fonts-wqy-microhei"
        );
    }
    FontSet { db, fonts }
}

fn font_set() -> &'static FontSet {
    static SET: OnceLock<FontSet> = OnceLock::new();
    SET.get_or_init(load)
}

/// The fonts the renderer draws text with (found on the first call).
pub fn fonts() -> Fonts {
    font_set().fonts.clone()
}

/// A text of an SVG document as the renderer lays it out with the machine's fonts.
#[derive(Clone, Debug, PartialEq)]
pub struct TextExtent {
    /// The text.
    pub text: String,
    /// Its font size (of its first span).
    pub size: f32,
    /// Whether it is bold (weight 600 or more).
    pub bold: bool,
    /// How wide it is laid out along its baseline, in the document's units.
    pub width: f32,
    /// The box it takes in the document (turned texts: the box around the turned one).
    pub x: f32,
    /// The box's top.
    pub y: f32,
    /// The box's width.
    pub box_width: f32,
    /// The box's height.
    pub box_height: f32,
}

/// Each text of the SVG document as the renderer lays it out (with the fonts
/// [`svg_to_png`] draws with), in document order: what a check of a figure's layout
/// against the real fonts reads.
pub fn text_extents(svg: &str) -> Result<Vec<TextExtent>, PngError> {
    fn walk(group: &usvg::Group, out: &mut Vec<TextExtent>) {
        for node in group.children() {
            match node {
                usvg::Node::Group(g) => walk(g, out),
                usvg::Node::Text(t) => {
                    let text: String = t.chunks().iter().map(|c| c.text()).collect();
                    let span = t.chunks().first().and_then(|c| c.spans().first());
                    let (own, abs) = (t.bounding_box(), t.abs_bounding_box());
                    out.push(TextExtent {
                        text,
                        size: span.map_or(0.0, |s| s.font_size().get()),
                        bold: span.is_some_and(|s| s.font().weight() >= 600),
                        width: own.width(),
                        x: abs.x(),
                        y: abs.y(),
                        box_width: abs.width(),
                        box_height: abs.height(),
                    });
                }
                _ => {}
            }
        }
    }
    let options = usvg::Options {
        fontdb: Arc::clone(&font_set().db),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| PngError::Svg(e.to_string()))?;
    let mut out = Vec::new();
    walk(tree.root(), &mut out);
    Ok(out)
}

/// The SVG document drawn as a PNG at `scale` (1: one pixel per SVG unit): its width and
/// height are the SVG's times the scale, rounded up.
pub fn svg_to_png(svg: &str, scale: f32) -> Result<Vec<u8>, PngError> {
    // No `<image>` is resolved: the default resolver would read any local file an `href`
    // names, and the figures draw no images.
    let options = usvg::Options {
        fontdb: Arc::clone(&font_set().db),
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(|_, _| None),
        },
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| PngError::Svg(e.to_string()))?;
    let size = tree.size();
    let too_big = |side: f32| !(side * scale >= 1.0 && side * scale <= MAX_SIDE as f32);
    if !scale.is_finite() || too_big(size.width()) || too_big(size.height()) {
        return Err(PngError::Size {
            width: size.width(),
            height: size.height(),
            scale,
        });
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let side = |s: f32| (s * scale).ceil() as u32;
    let mut pixmap =
        Pixmap::new(side(size.width()), side(size.height())).ok_or(PngError::Size {
            width: size.width(),
            height: size.height(),
            scale,
        })?;
    resvg::render(
        &tree,
        Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| PngError::Encode(e.to_string()))
}
