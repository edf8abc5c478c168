#!/bin/bash
# A cheating POV-Ray for the verification tests, put first on a worker's PATH as `povray`: it
# runs the real one, then blackens every image it wrote, so the worker reports (and hashes) a
# black frame of the right size.
PATH=${PATH#*:}
povray "$@"
code=$?
for arg in "$@"; do
  case $arg in +O*) out=${arg#+O} ;; esac
done
if [ -n "$out" ]; then
  for f in "$(dirname "$out")"/f*.png; do
    [ -e "$f" ] || continue
    ffmpeg -v error -y -i "$f" -vf lutrgb=r=0:g=0:b=0 "$f.black.png" && mv "$f.black.png" "$f"
  done
fi
exit $code
