//! The little linear algebra the crate needs: a Householder QR of a tall matrix given by its
//! columns, triangular solves and the inverse of R. Small and dense; no pivoting, so a column
//! that depends on those before it is reported rather than dropped.

/// The result of a QR decomposition of `X` (n × p) applied to `y`: `R` (p × p, upper
/// triangular, row-major) and the first `p` elements of `Qᵀy`.
pub struct Qr {
    pub r: Vec<Vec<f64>>,
    pub qty: Vec<f64>,
}

/// Relative size below which a column's component orthogonal to the columns before it counts
/// as zero (the column is then a linear combination of them).
const RANK_TOLERANCE: f64 = 1e-10;

/// QR of the matrix whose columns are `columns` (each of length `y.len()`), applied to `y`.
/// `Err(j)` when column `j` is (numerically) a linear combination of the columns before it.
pub fn qr(columns: &[Vec<f64>], y: &[f64]) -> Result<Qr, usize> {
    let n = y.len();
    let p = columns.len();
    let mut a: Vec<Vec<f64>> = columns.to_vec();
    let mut qty = y.to_vec();
    let norms: Vec<f64> = columns.iter().map(|c| norm(c)).collect();
    for k in 0..p {
        let below = norm(&a[k][k..]);
        if below <= RANK_TOLERANCE * norms[k] || below == 0.0 {
            return Err(k);
        }
        let alpha = if a[k][k] > 0.0 { -below } else { below };
        let mut v: Vec<f64> = a[k][k..].to_vec();
        v[0] -= alpha;
        let vv: f64 = v.iter().map(|x| x * x).sum();
        if vv > 0.0 {
            for col in a.iter_mut().skip(k + 1) {
                reflect(&v, vv, &mut col[k..]);
            }
            reflect(&v, vv, &mut qty[k..]);
        }
        a[k][k] = alpha;
        for x in a[k][k + 1..].iter_mut() {
            *x = 0.0;
        }
    }
    let r = (0..p).map(|i| (0..p).map(|j| a[j][i]).collect()).collect();
    qty.truncate(p.min(n));
    Ok(Qr { r, qty })
}

fn reflect(v: &[f64], vv: f64, x: &mut [f64]) {
    let s = 2.0 * v.iter().zip(x.iter()).map(|(a, b)| a * b).sum::<f64>() / vv;
    for (xi, vi) in x.iter_mut().zip(v) {
        *xi -= s * vi;
    }
}

fn norm(x: &[f64]) -> f64 {
    // Scaled to avoid overflow and underflow.
    let scale = x.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return scale;
    }
    scale * x.iter().map(|v| (v / scale).powi(2)).sum::<f64>().sqrt()
}

/// Solves `R b = c` for upper triangular `R`.
pub fn back_solve(r: &[Vec<f64>], c: &[f64]) -> Vec<f64> {
    let p = c.len();
    let mut b = vec![0.0; p];
    for i in (0..p).rev() {
        let s: f64 = (i + 1..p).map(|j| r[i][j] * b[j]).sum();
        b[i] = (c[i] - s) / r[i][i];
    }
    b
}

/// `(RᵀR)⁻¹ = R⁻¹R⁻ᵀ`, i.e. `(XᵀX)⁻¹` for the `R` of `X`.
pub fn inverse_gram(r: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let p = r.len();
    // Columns of R⁻¹: solve R x = e_j.
    let inv: Vec<Vec<f64>> = (0..p)
        .map(|j| {
            let e: Vec<f64> = (0..p).map(|i| if i == j { 1.0 } else { 0.0 }).collect();
            back_solve(r, &e)
        })
        .collect();
    // (R⁻¹R⁻ᵀ)[a][b] = Σ_k R⁻¹[a][k] R⁻¹[b][k]; inv[k] is column k of R⁻¹.
    (0..p)
        .map(|a| {
            (0..p)
                .map(|b| (0..p).map(|k| inv[k][a] * inv[k][b]).sum())
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_a_small_system_and_finds_a_dependent_column() {
        // y = 1 + 2x exactly.
        let x = vec![0.0, 1.0, 2.0, 3.0];
        let y: Vec<f64> = x.iter().map(|v| 1.0 + 2.0 * v).collect();
        let cols = vec![vec![1.0; 4], x.clone()];
        let q = qr(&cols, &y).unwrap();
        let b = back_solve(&q.r, &q.qty);
        assert!((b[0] - 1.0).abs() < 1e-12 && (b[1] - 2.0).abs() < 1e-12);
        let twice: Vec<f64> = x.iter().map(|v| 2.0 * v).collect();
        assert_eq!(qr(&[vec![1.0; 4], x, twice], &y).err(), Some(2));
        assert_eq!(qr(&[vec![0.0; 4]], &y).err(), Some(0));
    }

    #[test]
    fn inverse_gram_is_the_inverse() {
        let cols = vec![vec![1.0, 1.0, 1.0], vec![1.0, 2.0, 4.0]];
        let q = qr(&cols, &[0.0; 3]).unwrap();
        let inv = inverse_gram(&q.r);
        // XᵀX = [[3, 7], [7, 21]], det 14.
        let expect = [[21.0 / 14.0, -7.0 / 14.0], [-7.0 / 14.0, 3.0 / 14.0]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((inv[i][j] - expect[i][j]).abs() < 1e-12);
            }
        }
    }
}
