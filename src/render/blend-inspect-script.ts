/**
 * The Python farm runs inside a sandboxed Blender (with --factory-startup --disable-autoexec,
 * so nothing of the file's own runs) to list what in a .blend would reach outside its scene:
 * compositor File Output nodes (they write where their path says, not into the chunk), images,
 * libraries and other files whose path leaves the scene's directory, text blocks registered to
 * run on load, and scripted drivers that are Python rather than a simple expression. It prints
 * one line, `FARM-INSPECT: ["what", ...]`. The scene's directory comes after `--`.
 */
export const INSPECT_MARK = 'FARM-INSPECT: '

export const BLEND_INSPECT_PY = `
import bpy, json, os, sys
root = os.path.realpath(sys.argv[sys.argv.index('--') + 1])
found = []

def leaves(path):
    if not path or path == '<builtin>':
        return False
    real = os.path.realpath(os.path.normpath(bpy.path.abspath(path)))
    return not (real == root or real.startswith(root + os.sep))

def external(kind, items):
    for item in items:
        path = getattr(item, 'filepath', '')
        if getattr(item, 'packed_file', None) is None and leaves(path):
            found.append("%s '%s' reads %s, outside the scene's directory" % (kind, item.name, path))

external('image', [i for i in bpy.data.images if i.source in ('FILE', 'SEQUENCE', 'MOVIE')])
external('library', bpy.data.libraries)
external('sound', bpy.data.sounds)
external('movie clip', bpy.data.movieclips)
external('font', bpy.data.fonts)
external('volume', bpy.data.volumes)
external('cache file', bpy.data.cache_files)

trees = [(s.name, s.node_tree) for s in bpy.data.scenes if s.node_tree]
trees += [(g.name, g) for g in bpy.data.node_groups]
for owner, tree in trees:
    for node in tree.nodes:
        if node.type == 'OUTPUT_FILE':
            found.append("compositor File Output node '%s' in %s writes to %s" % (node.name, owner, node.base_path or '(its default path)'))

for text in bpy.data.texts:
    if text.use_module:
        found.append("text block '%s' is registered to run as Python when the file loads" % text.name)

holders = []
for collection in (bpy.data.objects, bpy.data.meshes, bpy.data.materials, bpy.data.scenes, bpy.data.worlds,
                   bpy.data.cameras, bpy.data.lights, bpy.data.shape_keys, bpy.data.node_groups, bpy.data.textures):
    holders += list(collection)
holders += [m.node_tree for m in bpy.data.materials if m.node_tree]
holders += [w.node_tree for w in bpy.data.worlds if w.node_tree]
for holder in holders:
    data = getattr(holder, 'animation_data', None)
    for curve in (data.drivers if data else []):
        driver = curve.driver
        if driver.type == 'SCRIPTED' and not driver.is_simple_expression:
            found.append("scripted driver '%s' on %s.%s runs Python" % (driver.expression, holder.name, curve.data_path))

print('${INSPECT_MARK}' + json.dumps(found))
`
