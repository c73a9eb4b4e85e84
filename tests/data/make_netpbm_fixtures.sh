#!/usr/bin/env bash
# Regenerates the netpbm fixtures of tests/test_netpbm.py with the real tools:
# ffmpeg, ImageMagick (convert) and netpbm (ppmpat, pgmramp, pamdepth,
# pnmtoplainpnm).  Every file is small (a few KB at most) and made by a tool,
# never by pixelkit, so the tests compare pixelkit with independent writers.
#
#   tests/data/make_netpbm_fixtures.sh            # writes tests/data/netpbm/
#   tests/data/make_netpbm_fixtures.sh OUTDIR     # writes OUTDIR instead
#
# The patterns are deterministic (ffmpeg's testsrc, ImageMagick gradients,
# ppmpat with a fixed -randomseed), so a rerun with the same tool versions
# gives the same bytes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/netpbm}"
mkdir -p "$out"

for tool in ffmpeg convert ppmpat pgmramp pamdepth pnmtoplainpnm; do
    command -v "$tool" >/dev/null || { echo "$0: $tool is missing (Debian: ffmpeg imagemagick netpbm)" >&2; exit 1; }
done

ff() { ffmpeg -nostdin -v error -y "$@"; }

# ffmpeg: binary PPM/PGM, maxval 255 and 65535, and a stream of three images.
ff -f lavfi -i testsrc=size=32x24:rate=1 -frames:v 1 "$out/ffmpeg_testsrc_32x24.ppm"
ff -f lavfi -i testsrc=size=32x24:rate=1 -frames:v 1 -pix_fmt gray "$out/ffmpeg_testsrc_gray_32x24.pgm"
ff -f lavfi -i testsrc=size=16x12:rate=1 -frames:v 1 -pix_fmt rgb48be "$out/ffmpeg_testsrc_rgb48be_16x12.ppm"
ff -f lavfi -i testsrc=size=8x6:rate=1 -frames:v 3 -f image2pipe -c:v ppm "$out/ffmpeg_testsrc_3frames_8x6.ppm"

# ImageMagick: plain PPM with a comment in the header, and a 16-bit binary PPM.
convert -size 8x6 gradient:red-blue -depth 8 -set comment "made by ImageMagick" -compress none \
    "$out/magick_gradient_comment_plain_8x6.ppm"
convert -size 16x12 gradient:yellow-navy -depth 16 "$out/magick_gradient_16bit_16x12.ppm"

# netpbm: odd maxvals (two-byte 1000, one-byte 100, plain 6) and a plain PPM.
ppmpat -madras -randomseed=1 16 12 | pamdepth 1000 >"$out/netpbm_ppmpat_maxval1000_16x12.ppm"
pgmramp -lr 16 12 | pamdepth 100 >"$out/netpbm_pgmramp_maxval100_16x12.pgm"
pgmramp -diagonal 16 12 | pamdepth 6 | pnmtoplainpnm >"$out/netpbm_pgmramp_maxval6_plain_16x12.pgm"
ppmpat -g2 -randomseed=7 8 6 | pnmtoplainpnm >"$out/netpbm_ppmpat_plain_8x6.ppm"

ls -l "$out"
