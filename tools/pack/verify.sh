#!/usr/bin/env bash
# Checks the NuGet packages as a user meets them, offline:
#   1. packs Xent, Xent.Onnx and the xent tool (Release) into a local folder feed, failing on any warning, and checks
#      each package has its .snupkg, README.md, LICENSE and real metadata (MIT, readme, description, authors, tags);
#   2. creates a fresh console app outside the repository that references Xent 0.1.0 from that folder and runs the
#      README's first C# example (the autograd taste), checking the output its comment promises;
#   3. installs the tool from the packed .nupkg with `dotnet tool install --tool-path` and runs `xent --version`.
# Packages resolve from the local feed and the packages already restored in ~/.nuget/packages only (no network);
# a private NUGET_PACKAGES folder keeps a stale 0.1.0 from an earlier run out of the way.
#   tools/pack/verify.sh [WORK_DIR]     (default: a fresh temporary folder, removed on success)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$(mktemp -d)}
keep=${1:+yes}
mkdir -p "$work"
feed="$work/feed" app="$work/app" tools="$work/tools"
rm -rf "$feed" "$app" "$tools" "$work/packages"
restored=${NUGET_PACKAGES:-$HOME/.nuget/packages}
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

cat >"$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
    <add key="restored" value="$restored" />
  </packageSources>
</configuration>
XML

echo "== fresh console app referencing Xent $version from the local feed"
mkdir -p "$app"
cat >"$app/app.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Xent" Version="$version" />
  </ItemGroup>
</Project>
XML
# The README's first example (the ```csharp block with the autograd taste, `dy/dx`), verbatim.
awk '/^```csharp$/ {on=1; block=""; next}
     on && /^```$/ {on=0; if (block ~ /dy\/dx/) {printf "%s", block; exit}; next}
     on {block = block $0 "\n"}' "$repo/README.md" >"$app/Program.cs"
cat "$app/Program.cs"
expected=$(sed -n 's:.*Console.WriteLine(\$"dy/dx = {x.Grad}");[[:space:]]*// \(.*\)$:dy/dx = \1:p' "$app/Program.cs")
[[ -n "$expected" ]] || { echo "FAIL: the README's first example no longer ends with the dy/dx line this script checks"; exit 1; }
dotnet run --project "$app/app.csproj" -c Release --configfile "$work/nuget.config" >"$work/app.out" 2>&1 || { cat "$work/app.out"; exit 1; }
cat "$work/app.out"
grep -qxF "$expected" "$work/app.out" || { echo "FAIL: expected '$expected'"; exit 1; }
# From the packed feed, not a project reference or another version.
grep -qF "\"Xent/$version\"" "$app/obj/project.assets.json" || { echo "FAIL: the app did not restore Xent $version"; exit 1; }

echo "== dotnet tool install Xent.Cli --tool-path $tools"
dotnet tool install Xent.Cli --version "$version" --tool-path "$tools" --configfile "$work/nuget.config"
got=$("$tools/xent" --version)
echo "xent --version: $got"
[[ "$got" == "$version"* ]] || { echo "FAIL: expected version $version"; exit 1; }
"$tools/xent" export --help >/dev/null

echo "OK: packages pack without warnings, Xent runs the README example from a local feed, the tool installs and runs."
[[ -n "$keep" ]] || rm -rf "$work"
