#!/bin/sh
# An --on-event hook for `farm capture`: keeps a copy of the newest frame as latest.jpg in a
# folder a web server (or a digital photo frame) reads, replaced whole so no reader sees half a
# picture. farm sets FARM_FRAME to the frame's path for frame:saved.
#
#   farm capture --cron "*/5 * * * *" --source ... --on-event "examples/hooks/latest-frame.sh /var/www/html"
set -eu

target=${1:?give the folder latest.jpg goes in}
[ "$FARM_EVENT" = frame:saved ] || exit 0
cp "$FARM_FRAME" "$target/.latest.jpg.tmp"
mv -f "$target/.latest.jpg.tmp" "$target/latest.jpg"
