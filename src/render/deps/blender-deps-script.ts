/**
 * Python run inside Blender to find every external file a .blend uses, to remap them in a saved
 * copy, and (on a worker) to refuse a render whose files are not there: Cycles renders a missing
 * image as magenta and says nothing. Run as
 *   blender -b FILE --python-expr SCRIPT -- trace OUT.json
 *   blender -b FILE --python-expr SCRIPT -- remap MAP.json OUT.blend
 *   blender -b FILE --python-expr SCRIPT ...render arguments   (checks)
 * One collector serves all three, so what is packed, remapped and checked is the same list.
 */
export const BLENDER_DEPS_SCRIPT = String.raw`
import bpy, json, os, re, sys

MARK = "FARM-MISSING: "

def norm(path):
    return os.path.normpath(path)

def lib_abs(lib):
    return norm(bpy.path.abspath(lib.filepath, library=lib.parent))

def owner_of(idb):
    lib = getattr(idb, "library", None)
    return lib_abs(lib) if lib else norm(bpy.data.filepath)

def sequence_files(path):
    head, name = os.path.split(path)
    match = re.match(r"^(.*?)(\d+)(\D*)$", name)
    if not match or not os.path.isdir(head):
        return [path]
    pattern = re.compile("^" + re.escape(match.group(1)) + r"\d+" + re.escape(match.group(3)) + "$")
    found = sorted(os.path.join(head, f) for f in os.listdir(head) if pattern.match(f))
    return found or [path]

def tile_files(path, image):
    out = []
    for tile in image.tiles:
        n = tile.number
        uv = "u%d_v%d" % ((n - 1001) % 10 + 1, (n - 1001) // 10 + 1)
        out.append(path.replace("<UDIM>", str(n)).replace("<UVTILE>", uv))
    return out if ("<UDIM>" in path or "<UVTILE>" in path) else [path]

refs = []
seen = set()

def add(kind, name, idb, spelled, setter, files=None, directory=False, optional=False, library=None):
    if not spelled:
        return
    lib = library if library is not None else getattr(idb, "library", None)
    path = norm(bpy.path.abspath(spelled, library=lib))
    seen.add(path)
    refs.append({
        "kind": kind, "name": name, "owner": owner_of(idb) if library is None else lib_abs(library),
        "spelled": spelled, "path": path, "files": files if files is not None else [path],
        "directory": directory, "optional": optional, "setter": setter, "idb": idb,
    })

def collect():
    for im in bpy.data.images:
        if im.packed_file or im.source not in ("FILE", "SEQUENCE", "MOVIE", "TILED"):
            continue
        path = norm(bpy.path.abspath(im.filepath, library=im.library))
        files = sequence_files(path) if im.source == "SEQUENCE" else tile_files(path, im) if im.source == "TILED" else None
        add("image", im.name, im, im.filepath, lambda p, d=im: setattr(d, "filepath", p), files)
    for clip in bpy.data.movieclips:
        path = norm(bpy.path.abspath(clip.filepath, library=clip.library))
        add("movie clip", clip.name, clip, clip.filepath, lambda p, d=clip: setattr(d, "filepath", p),
            sequence_files(path) if clip.source == "SEQUENCE" else None)
    for sound in bpy.data.sounds:
        if not sound.packed_file:
            add("sound", sound.name, sound, sound.filepath, lambda p, d=sound: setattr(d, "filepath", p))
    for font in bpy.data.fonts:
        if not font.packed_file and font.filepath != "<builtin>":
            add("font", font.name, font, font.filepath, lambda p, d=font: setattr(d, "filepath", p))
    for cache in bpy.data.cache_files:
        add("cache", cache.name, cache, cache.filepath, lambda p, d=cache: setattr(d, "filepath", p))
    for vol in bpy.data.volumes:
        if not vol.packed_file:
            path = norm(bpy.path.abspath(vol.filepath, library=vol.library))
            add("volume", vol.name, vol, vol.filepath, lambda p, d=vol: setattr(d, "filepath", p),
                sequence_files(path) if vol.is_sequence else None)
    for text in bpy.data.texts:
        if not text.is_in_memory and text.filepath:
            add("text", text.name, text, text.filepath, lambda p, d=text: setattr(d, "filepath", p), optional=True)
    for lib in bpy.data.libraries:
        if not lib.packed_file:
            owner = lib.parent
            refs.append({
                "kind": "library", "name": lib.name, "owner": lib_abs(owner) if owner else norm(bpy.data.filepath),
                "spelled": lib.filepath, "path": lib_abs(lib), "files": [lib_abs(lib)], "directory": False,
                "optional": False, "setter": lambda p, d=lib: setattr(d, "filepath", p), "idb": lib,
            })
            seen.add(lib_abs(lib))
    for ob in bpy.data.objects:
        for mod in ob.modifiers:
            if mod.type == "FLUID" and mod.fluid_type == "DOMAIN" and mod.domain_settings:
                ds = mod.domain_settings
                add("fluid cache", ob.name, ob, ds.cache_directory, lambda p, d=ds: setattr(d, "cache_directory", p),
                    directory=True, optional=True)
            elif mod.type == "OCEAN" and mod.is_cached:
                add("ocean cache", ob.name, ob, mod.filepath, lambda p, d=mod: setattr(d, "filepath", p),
                    directory=True, optional=True)
            elif mod.type == "MESH_CACHE":
                add("mesh cache", ob.name, ob, mod.filepath, lambda p, d=mod: setattr(d, "filepath", p))
            cache = getattr(mod, "point_cache", None)
            if cache is not None and cache.use_disk_cache and not ob.library:
                add_point_cache(ob, cache)
        for ps in ob.particle_systems:
            if ps.point_cache.use_disk_cache and not ob.library:
                add_point_cache(ob, ps.point_cache)
    for scene in bpy.data.scenes:
        if not scene.sequence_editor:
            continue
        for strip in scene.sequence_editor.sequences_all:
            if strip.type == "IMAGE":
                files = [norm(os.path.join(bpy.path.abspath(strip.directory, library=scene.library), e.filename))
                         for e in strip.elements]
                add("image strip", strip.name, scene, strip.directory,
                    lambda p, d=strip: setattr(d, "directory", p), files, library=scene.library)
            elif strip.type == "MOVIE":
                add("movie strip", strip.name, scene, strip.filepath,
                    lambda p, d=strip: setattr(d, "filepath", p), library=scene.library)
    # Anything Blender itself calls an external path and the lists above missed.
    for path in bpy.utils.blend_paths(absolute=True, packed=False, local=False):
        if norm(path) not in seen:
            refs.append({
                "kind": "file", "name": os.path.basename(path), "owner": norm(bpy.data.filepath), "spelled": path,
                "path": norm(path), "files": [norm(path)], "directory": os.path.isdir(path), "optional": True,
                "setter": None, "idb": None,
            })

def add_point_cache(ob, cache):
    if cache.use_external:
        add("point cache", ob.name, ob, cache.filepath, lambda p, d=cache: setattr(d, "filepath", p),
            directory=True, optional=True)
    else:
        stem = os.path.splitext(os.path.basename(bpy.data.filepath))[0]
        add("point cache", ob.name, ob, "//blendcache_" + stem, None, directory=True, optional=True)

def public(ref):
    return {k: v for k, v in ref.items() if k not in ("setter", "idb")}

# A render command line has no "--": there the script only checks.
args = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else ["check"]
collect()
if args[0] == "trace":
    with open(args[1], "w") as out:
        json.dump({"blend": norm(bpy.data.filepath), "refs": [public(r) for r in refs]}, out)
elif args[0] == "remap":
    with open(args[1]) as f:
        mapping = json.load(f)
    here = norm(bpy.data.filepath)
    for ref in refs:
        if ref["owner"] == here and ref["setter"] and ref["path"] in mapping:
            ref["setter"](mapping[ref["path"]])
    bpy.ops.wm.save_as_mainfile(filepath=args[2], copy=True, relative_remap=False, compress=False)
elif args[0] == "check":
    missing = [(r, f) for r in refs if not r["optional"] for f in r["files"] if not os.path.exists(f)]
    for ref, f in missing:
        print(MARK + "%s \"%s\" reads %s: cannot read %s: No such file or directory" % (ref["kind"], ref["name"], ref["spelled"], f), flush=True)
    if missing:
        raise SystemExit(3)
`
