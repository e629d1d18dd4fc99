//! Rendering figures for docs/BENCHMARKS.md, run by `tools/bench`: the
//! preview PNG of a design (1000 × 1000 over a 1600 px mockup: curved
//! text, a line of text, a shape and a photo from its 1600 px preview
//! copy) and the print PDF of an A4 area with curved text and a
//! 12-megapixel JPEG (passed through), plus the print PNG of that area at
//! 300 DPI; each drawn by the same code the API runs (`render::layout`,
//! `render::svg`, `render::pdf`), median and p90 of many runs, with no
//! cache. The baseline of the run: filling a 1000 × 1000 pixmap and
//! encoding it as PNG (tiny-skia, the rasteriser's own floor).
//!
//! `bench_render`; prints Markdown rows.

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use luneo::designs::document::Element;
use luneo::fonts::FontBook;
use luneo::render::svg::{self, Images, Mockup};
use luneo::render::{Sheet, layout, pdf};
use std::io::Cursor;
use std::sync::Arc;
use std::time::Instant;

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            (x * 255 / width) as u8,
            (y * 255 / height) as u8,
            ((x ^ y) & 0xff) as u8,
        ])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_to(&mut out, ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

fn timed(runs: usize, mut f: impl FnMut() -> usize) -> (f64, f64, usize) {
    let mut times = vec![];
    let mut size = 0;
    for _ in 0..runs {
        let start = Instant::now();
        size = f();
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[runs / 2], times[runs * 9 / 10], size)
}

fn elements(w: f64, h: f64) -> Vec<Element> {
    serde_json::from_value(serde_json::json!([
        { "kind": "shape", "shape": "ellipse", "x_mm": w * 0.2, "y_mm": h * 0.3, "width_mm": w * 0.6, "height_mm": w * 0.6, "fill": "#f4c542", "stroke": "#1f2a44" },
        { "kind": "image", "image": "photo", "x_mm": w * 0.15, "y_mm": h * 0.45, "width_mm": w * 0.7, "height_mm": w * 0.7 * 0.75 },
        { "kind": "text", "text": "Luneo Summer Camp 2026", "font": "DejaVu Sans Bold", "size_pt": 30, "colour": "#1f2a44",
          "x_mm": w * 0.1, "y_mm": h * 0.05, "width_mm": w * 0.8, "height_mm": h * 0.3, "curve": { "radius_mm": w * 0.45, "direction": "up" } },
        { "kind": "text", "text": "Made with love\nin the workshop", "font": "DejaVu Serif", "size_pt": 18, "colour": "#333333",
          "x_mm": w * 0.1, "y_mm": h * 0.85, "width_mm": w * 0.8, "height_mm": h * 0.12 }
    ]))
    .unwrap()
}

fn main() {
    let fonts = FontBook::built_in(&["DejaVu Sans Bold", "DejaVu Serif"]);

    // Baseline: a 1000 × 1000 pixmap filled and encoded.
    let (base, base_p90, _) = timed(30, || {
        let mut p = resvg::tiny_skia::Pixmap::new(1000, 1000).unwrap();
        p.fill(resvg::tiny_skia::Color::from_rgba8(240, 240, 240, 255));
        p.encode_png().unwrap().len()
    });

    // Preview: a square 1600 px mockup, the photo's 1600 × 1200 preview copy.
    let tee = Sheet {
        width_mm: 280.0,
        height_mm: 350.0,
        bleed_mm: 3.0,
        dpi: 300.0,
    };
    let mut images = Images::new();
    images.insert("photo".into(), Arc::new(jpeg(1600, 1200)));
    images.insert("mockup".into(), Arc::new(jpeg(1600, 1600)));
    let mockup = Mockup {
        hash: "mockup".into(),
        width: 1600,
        height: 1600,
        x: 0.3,
        y: 0.22,
        area_width: 0.4,
    };
    let tee_elements = elements(tee.width_mm, tee.height_mm);
    let (preview, preview_p90, preview_bytes) = timed(30, || {
        let items = layout(&tee_elements, &fonts).unwrap();
        svg::preview(&items, tee, Some(&mockup), 1000, images.clone())
            .unwrap()
            .len()
    });

    // Print files of an A4 area with a 12-megapixel JPEG, as uploaded.
    let a4 = Sheet {
        width_mm: 210.0,
        height_mm: 297.0,
        bleed_mm: 3.0,
        dpi: 300.0,
    };
    let mut originals = Images::new();
    let photo = Arc::new(jpeg(4000, 3000));
    originals.insert("photo".into(), photo.clone());
    let a4_elements = elements(a4.width_mm, a4.height_mm);
    let (print, print_p90, pdf_bytes) = timed(20, || {
        let items = layout(&a4_elements, &fonts).unwrap();
        pdf::print_pdf(&items, a4, &originals, false, "A4").unwrap().len()
    });
    let (png, png_p90, png_bytes) = timed(5, || {
        let items = layout(&a4_elements, &fonts).unwrap();
        svg::print_png(&items, a4, originals.clone()).unwrap().len()
    });

    let ratio = |v: f64| v / base;
    println!(
        "| Baseline: fill a 1000 × 1000 pixmap and encode it as PNG (tiny-skia) | {base:.1} ms (p90 {base_p90:.1}) | |"
    );
    println!(
        "| **Preview PNG 1000 × 1000 over the mockup (curved text, text, shape, photo): median** | **{preview:.1} ms** ({:.1} × baseline; {} KB) | < 100 ms |",
        ratio(preview),
        preview_bytes / 1024
    );
    println!("| Same, p90 | {preview_p90:.1} ms | |");
    println!(
        "| **Print PDF of an A4 area (curved text, text, shape, a 12-megapixel JPEG of {:.1} MB passed through): median** | **{print:.1} ms** ({} KB) | |",
        photo.len() as f64 / 1e6,
        pdf_bytes / 1024
    );
    println!("| Same, p90 | {print_p90:.1} ms | |");
    println!(
        "| Print PNG of that A4 area at 300 DPI (2551 × 3579 px, from the 12 MP original): median | {png:.0} ms ({} KB; p90 {png_p90:.0} ms) | |",
        png_bytes / 1024
    );
}
