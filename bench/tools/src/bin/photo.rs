//! Writes a photo-like JPEG for the app-bytes row (`bench/appbytes.py`): what a phone app
//! uploads after scaling a camera picture to 2048 px on the long side, quality 85. Smooth
//! light and shade with fine sensor-like noise, so that it compresses as a photo does (a flat
//! or synthetic picture would be far smaller). Deterministic: the same bytes every run.
//!
//! Usage: photo OUT.jpg

use std::io::BufWriter;

fn main() -> anyhow::Result<()> {
    let out = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: photo OUT.jpg"))?;
    let (w, h) = (2048u32, 1536u32);
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut noise = move || {
        // xorshift64*: cheap, deterministic.
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        ((seed.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 59) as i32) - 16
    };
    let mut img = image::RgbImage::new(w, h);
    for (x, y, px) in img.enumerate_pixels_mut() {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        // A sky above a road: gradients, a horizon, some structure.
        let sky = fy < 0.45;
        let base = if sky {
            [120.0 + 80.0 * fy, 160.0 + 60.0 * fy, 220.0 - 40.0 * fx]
        } else {
            let stripe = ((fx * 40.0 + fy * 13.0).sin() * 12.0) + ((fx * 7.0).cos() * 20.0);
            [90.0 + stripe, 85.0 + stripe, 80.0 + 40.0 * fy]
        };
        let n = noise() as f32 * 0.6;
        *px = image::Rgb(base.map(|c| (c + n).clamp(0.0, 255.0) as u8));
    }
    let file = BufWriter::new(std::fs::File::create(&out)?);
    image::codecs::jpeg::JpegEncoder::new_with_quality(file, 85).encode_image(&img)?;
    Ok(())
}
