#!/usr/bin/env bash
# Debian packages the tests use: 7-Zip (to open our packages independently of py7zr), Chromium
# (web tests, driven by Playwright) with the Noto CJK fonts, tmux (the TUI in a real terminal) and wrk
# (the load of bench/web.py).
# Installed when missing and this user may install; otherwise stop with the command to run, never
# skip a test.
set -euo pipefail

declare -A package_of=([7zz]=7zip [chromium]=chromium [tmux]=tmux [wrk]=wrk)
missing=()
for command in "${!package_of[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${package_of[$command]}")
done
# Chinese glyphs for the browser tests' screenshots (without them every 汉字 is a box).
if ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh | grep -q .; }; then
  missing+=(fonts-noto-cjk)
fi
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  runner=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  runner=(sudo -n)
else
  echo "测试需要这些 Debian 软件包：${missing[*]}。请先运行：sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "正在安装测试需要的 Debian 软件包：${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${runner[@]}" apt-get update -qq
"${runner[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
