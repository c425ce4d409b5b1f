//! The figures as PNG: a real figure of the analyses (the CONSORT flow, in English and in
//! Chinese) drawn at the print scale is a PNG of twice the SVG's size, not blank, with its
//! title drawn: the band of the title has ink, and the same figure without its text has none
//! there. The file is read back by an independent decoder (Pillow, under `SCITRIAL_PYTHON`),
//! which must see the same size and the same pixels as the `png` crate.
//!
//! Text needs fonts: without a font (or, for the Chinese figure, without a font that has
//! Chinese characters) the text checks are skipped with a note, unless `SCITRIAL_REQUIRE_FONTS`
//! is set (as CI sets it, having installed fonts-liberation, fonts-dejavu-core and
//! fonts-wqy-microhei), when they fail.

use std::path::PathBuf;
use std::process::Command;

use export::png::{fonts, svg_to_png, PngError, PRINT_SCALE};
use sha2::{Digest, Sha256};
use trial::analysis::figures::consort_svg;
use trial::analysis::{Consort, ConsortGroup, Count};

/// A decoded PNG: its size and its RGBA pixels.
struct Image {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

impl Image {
    fn decode(bytes: &[u8]) -> Image {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("a PNG header");
        let mut rgba = vec![0; reader.output_buffer_size().expect("a buffer size")];
        let info = reader.next_frame(&mut rgba).expect("the PNG's pixels");
        assert_eq!(info.color_type, png::ColorType::Rgba);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        rgba.truncate(info.buffer_size());
        Image {
            width: info.width,
            height: info.height,
            rgba,
        }
    }

    /// How many pixels in the rows `top..bottom` are not white.
    fn ink(&self, top: u32, bottom: u32) -> usize {
        let row = self.width as usize * 4;
        self.rgba[top as usize * row..bottom.min(self.height) as usize * row]
            .chunks_exact(4)
            .filter(|p| p[0] < 200 || p[1] < 200 || p[2] < 200)
            .count()
    }
}

/// The `width` and `height` attributes of the SVG's root.
fn svg_size(svg: &str) -> (f32, f32) {
    let attribute = |name: &str| -> f32 {
        let at = svg.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        let end = at + svg[at..].find('"').unwrap();
        svg[at..end].parse().unwrap()
    };
    (attribute("width"), attribute("height"))
}

/// The SVG without its text elements (and its title, which is not drawn).
fn without_text(svg: &str) -> String {
    let mut out = String::new();
    let mut rest = svg;
    while let Some(at) = rest.find("<text") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find("</text>").unwrap() + at + "</text>".len();
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn consort(zh_name: bool) -> Consort {
    Consort {
        assessed: 14,
        excluded: 2,
        excluded_reasons: vec![Count {
            reason: "not eligible: age under 18".into(),
            n: 2,
        }],
        randomised: 12,
        by_arm: false,
        groups: vec![ConsortGroup {
            group: "all".into(),
            name: "All participants".into(),
            name_zh: zh_name.then(|| "全部受试者".into()),
            allocated: 12,
            received: Some(11),
            not_received: Some(1),
            lost_to_follow_up: 1,
            discontinued: 1,
            discontinued_reasons: vec![Count {
                reason: "lost to follow-up".into(),
                n: 1,
            }],
            analysed: 10,
            excluded_from_analysis: 2,
            excluded_reasons: vec![Count {
                reason: "no week-24 exam".into(),
                n: 2,
            }],
        }],
    }
}

/// Whether the text checks run: the fonts are there, or they are required (and must be).
fn text_checked(have: bool, what: &str) -> bool {
    let required = std::env::var_os("SCITRIAL_REQUIRE_FONTS").is_some();
    match (have, required) {
        (true, _) => true,
        (false, true) => panic!(
            "SCITRIAL_REQUIRE_FONTS is set but no font draws {what} ({:?}): install \
             fonts-liberation and fonts-wqy-microhei",
            fonts()
        ),
        (false, false) => {
            eprintln!("note: no font draws {what}: the PNG's text is not checked");
            false
        }
    }
}

/// Pillow, when `SCITRIAL_PYTHON` has it (else a note, or a failure under
/// `SCITRIAL_REQUIRE_PYTHON_TOOLS`).
fn pillow() -> Option<PathBuf> {
    let required = std::env::var_os("SCITRIAL_REQUIRE_PYTHON_TOOLS").is_some();
    let program = std::env::var_os("SCITRIAL_PYTHON").map(PathBuf::from);
    let works = program.as_ref().is_some_and(|p| {
        Command::new(p)
            .args(["-c", "import PIL.Image"])
            .status()
            .is_ok_and(|s| s.success())
    });
    match (works, required) {
        (true, _) => program,
        (false, true) => panic!(
            "SCITRIAL_REQUIRE_PYTHON_TOOLS is set but SCITRIAL_PYTHON ({program:?}) has no \
             Pillow (pip install -r tools/python/requirements.txt)"
        ),
        (false, false) => {
            eprintln!("note: the PNG is not read back by Pillow: set SCITRIAL_PYTHON");
            None
        }
    }
}

const PILLOW: &str = r#"
import hashlib, json, sys
from PIL import Image
with Image.open(sys.argv[1]) as im:
    im.verify()
with Image.open(sys.argv[1]) as im:
    im.load()
    print(json.dumps({"format": im.format, "mode": im.mode, "size": list(im.size),
                      "sha256": hashlib.sha256(im.tobytes()).hexdigest()}))
"#;

/// Draws the figure and checks the PNG; returns it decoded.
fn check_figure(svg: &str, text: bool, name: &str) -> Image {
    let bytes = svg_to_png(svg, PRINT_SCALE).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}");
    let image = Image::decode(&bytes);
    let (w, h) = svg_size(svg);
    assert_eq!(
        (image.width, image.height),
        ((w * PRINT_SCALE) as u32, (h * PRINT_SCALE) as u32),
        "{name}: twice the SVG's size"
    );
    // Not blank: the boxes, lines and text of the flow are drawn on the white background.
    let all = image.ink(0, image.height);
    let pixels = (image.width * image.height) as usize;
    assert!(
        all > pixels / 100 && all < pixels / 2,
        "{name}: {all} of {pixels} inked"
    );
    // The title's band (SVG units 6 to 28, at the scale) holds only the title.
    let band = ((6.0 * PRINT_SCALE) as u32, (28.0 * PRINT_SCALE) as u32);
    let shapes = Image::decode(&svg_to_png(&without_text(svg), PRINT_SCALE).unwrap());
    assert_eq!(
        shapes.ink(band.0, band.1),
        0,
        "{name}: nothing but text there"
    );
    if text {
        let title = image.ink(band.0, band.1);
        assert!(title > 200, "{name}: the title is drawn ({title} pixels)");
        assert!(
            all > shapes.ink(0, shapes.height) + 2_000,
            "{name}: the text of the boxes is drawn"
        );
    }
    if let Some(python) = pillow() {
        let file =
            std::env::temp_dir().join(format!("scitrial-export-{}-{name}.png", std::process::id()));
        std::fs::write(&file, &bytes).unwrap();
        let out = Command::new(python)
            .args(["-c", PILLOW])
            .arg(&file)
            .output()
            .unwrap();
        let _ = std::fs::remove_file(&file);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let read: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(read["format"], "PNG", "{name}: {read}");
        assert_eq!(read["mode"], "RGBA", "{name}: {read}");
        assert_eq!(read["size"], serde_json::json!([image.width, image.height]));
        let ours = hex::encode(Sha256::digest(&image.rgba));
        assert_eq!(read["sha256"], ours, "{name}: the same pixels");
    }
    image
}

#[test]
fn the_consort_figure_is_drawn_as_a_png_with_its_text_in_english_and_chinese() {
    let found = fonts();
    let english = consort_svg(&consort(true), false);
    check_figure(&english, text_checked(found.latin, "Latin text"), "en");
    let chinese = consort_svg(&consort(true), true);
    assert!(chinese.contains("评估是否符合入选条件"));
    check_figure(
        &chinese,
        text_checked(found.latin && found.chinese, "Chinese text"),
        "zh",
    );
}

#[test]
fn what_cannot_be_drawn_is_refused_naming_why() {
    let e = svg_to_png("a figure", PRINT_SCALE).unwrap_err();
    assert!(matches!(e, PngError::Svg(_)), "{e}");
    assert!(e
        .to_string()
        .starts_with("the SVG document could not be read"));
    let huge = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"9000\" height=\"10\"/>";
    let e = svg_to_png(huge, 1.0).unwrap_err();
    assert!(matches!(e, PngError::Size { .. }), "{e}");
    assert!(e.to_string().contains("1 to 8000 pixels"), "{e}");
    let small = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>";
    for scale in [f32::NAN, 0.0, -1.0, f32::INFINITY] {
        assert!(
            matches!(svg_to_png(small, scale), Err(PngError::Size { .. })),
            "{scale}"
        );
    }
    let image = Image::decode(&svg_to_png(small, 3.0).unwrap());
    assert_eq!((image.width, image.height), (30, 30));
}
