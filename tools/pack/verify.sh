#!/usr/bin/env bash
# Checks the NuGet packages as a user on a fresh machine meets them:
#   1. packs Xent, Xent.Onnx and the xent tool (Release) into a local folder feed, failing on any warning, and checks
#      each package has its .snupkg, README.md, LICENSE and real metadata (MIT, readme, description, authors, tags);
#   2. creates a fresh console app outside the repository, runs the README's library commands in it (the
#      `dotnet new nugetconfig`, `dotnet nuget add source` and `dotnet add package Xent` lines, with the feed for
#      ~/xent-feed) and runs the README's first C# example (the autograd taste), checking the output its comment promises;
#   3. installs the tool from the packed .nupkg with `dotnet tool install --tool-path` and runs `xent --version`.
# Restores go to a private, empty NUGET_PACKAGES folder, as on a machine that never restored anything: Xent's
# dependencies come from nuget.org (which must be reachable), and no Xent 0.1.0 unpacked by an earlier pack is reused.
#   tools/pack/verify.sh [WORK_DIR]     (default: a fresh temporary folder, removed on success)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$(mktemp -d)}
keep=${1:+yes}
mkdir -p "$work"
feed="$work/feed" app="$work/app" tools="$work/tools"
rm -rf "$feed" "$app" "$tools" "$work/packages"
export NUGET_PACKAGES="$work/packages" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -1)
echo "== dotnet pack ($version) -> $feed"
log="$work/pack.log"
dotnet pack "$repo/Xent.slnx" -c Release -o "$feed" --nologo >"$log" 2>&1 || { cat "$log"; exit 1; }
if grep -E ': warning [A-Z]+[0-9]+' "$log"; then echo "FAIL: dotnet pack printed warnings"; exit 1; fi
for id in Xent Xent.Onnx Xent.Cli; do
  for ext in nupkg snupkg; do
    [[ -f "$feed/$id.$version.$ext" ]] || { echo "FAIL: $id.$version.$ext was not packed"; exit 1; }
  done
  # The metadata nuget.org shows: license, readme, description, authors; the README and LICENSE files themselves.
  listing=$(python3 -m zipfile -l "$feed/$id.$version.nupkg")
  for f in README.md LICENSE "$id.nuspec"; do
    grep -q "^$f " <<<"$listing" || { echo "FAIL: $id.$version.nupkg lacks $f"; exit 1; }
  done
  nuspec=$(python3 -c 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())' "$feed/$id.$version.nupkg" "$id.nuspec")
  for tag in '<license type="expression">MIT</license>' '<readme>README.md</readme>' '<authors>' '<description>' '<tags>'; do
    grep -qF "$tag" <<<"$nuspec" || { echo "FAIL: $id.nuspec lacks $tag"; exit 1; }
  done
  ! grep -qF '<description>Package Description</description>' <<<"$nuspec" || { echo "FAIL: $id has the default description"; exit 1; }
done
ls "$feed"

echo "== fresh console app referencing Xent $version from the local feed, by the README's commands"
mkdir -p "$app"
(cd "$app" && dotnet new console --no-restore >/dev/null)
# The README's library lines, from its install section; ~/xent-feed is this run's feed.
mapfile -t steps < <(awk '/^## Installing the tool and the library/ {on=1; next} on && /^## / {exit}
  on && /^dotnet (new nugetconfig|nuget add source|add package Xent )/ {sub(/[[:space:]]+#.*$/, ""); print}' "$repo/README.md")
[[ ${#steps[@]} -eq 3 ]] || { echo "FAIL: expected the README's three library commands, found: ${steps[*]}"; exit 1; }
[[ "${steps[2]}" == "dotnet add package Xent --version $version" ]] || { echo "FAIL: the README adds '${steps[2]}'"; exit 1; }
for step in "${steps[@]}"; do
  step=${step//\~\/xent-feed/$(printf %q "$feed")}
  echo "\$ $step"
  (cd "$app" && eval "$step") >"$work/step.log" 2>&1 || { cat "$work/step.log"; echo "FAIL: $step"; exit 1; }
done
# The README's first example (the ```csharp block with the autograd taste, `dy/dx`), verbatim.
awk '/^```csharp$/ {on=1; block=""; next}
     on && /^```$/ {on=0; if (block ~ /dy\/dx/) {printf "%s", block; exit}; next}
     on {block = block $0 "\n"}' "$repo/README.md" >"$app/Program.cs"
cat "$app/Program.cs"
expected=$(sed -n 's:.*Console.WriteLine(\$"dy/dx = {x.Grad}");[[:space:]]*// \(.*\)$:dy/dx = \1:p' "$app/Program.cs")
[[ -n "$expected" ]] || { echo "FAIL: the README's first example no longer ends with the dy/dx line this script checks"; exit 1; }
dotnet run --project "$app/app.csproj" -c Release >"$work/app.out" 2>&1 || { cat "$work/app.out"; exit 1; }
cat "$work/app.out"
grep -qxF "$expected" "$work/app.out" || { echo "FAIL: expected '$expected'"; exit 1; }
# From the packed feed, not a project reference or another version.
grep -qF "\"Xent/$version\"" "$app/obj/project.assets.json" || { echo "FAIL: the app did not restore Xent $version"; exit 1; }

echo "== dotnet tool install Xent.Cli --tool-path $tools"
# From the app's folder, so its nuget.config (<clear /> first) keeps the user's own feeds out, as --add-source in the README.
(cd "$app" && dotnet tool install Xent.Cli --version "$version" --tool-path "$tools" --add-source "$feed")
got=$("$tools/xent" --version)
echo "xent --version: $got"
[[ "$got" == "$version"* ]] || { echo "FAIL: expected version $version"; exit 1; }
"$tools/xent" export --help >/dev/null

echo "OK: packages pack without warnings, Xent runs the README example from a local feed, the tool installs and runs."
[[ -n "$keep" ]] || rm -rf "$work"
