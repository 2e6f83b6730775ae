/*
 * Bundles the Lightning side of the Salesforce Voice stand-in host into one file,
 * cti-server/web/standin-voice/lightning.js (committed: the server embeds it): Neotel's real
 * Lightning web components, read where they are (salesforce/voice-app/main/default/lwc/, never
 * copied), compiled by the LWC compiler as Salesforce compiles them, on the open-source LWC
 * engine, with this folder's stand-ins of the Salesforce modules and base components they import.
 *
 * esbuild bundles (the house's bundler); no maintained esbuild plugin compiles LWC, so the small
 * one below calls @lwc/compiler for every module of a component folder and resolves the imports
 * Salesforce resolves: `c/…` (the components), `lightning/…` (src/lightning/), `@salesforce/apex/…`
 * (src/salesforce/apex.js) and `@salesforce/messageChannel/…` (the channel's name, as
 * sfdx-lwc-jest has it). With these fixed options and the lockfile's versions the bytes are the
 * same every time, so `--check` rebuilds in memory and fails when the committed file differs.
 *
 *   node build.mjs           write the bundle
 *   node build.mjs --check   compare only
 */
import { build } from 'esbuild';
import { transformSync, version as lwcVersion } from '@lwc/compiler';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const target = path.join(root, 'cti-server', 'web', 'standin-voice', 'lightning.js');
/** Neotel's components (namespace `c`). */
const componentsDir = path.join(root, 'salesforce', 'voice-app', 'main', 'default', 'lwc');
/** The stand-ins of Salesforce's `lightning` namespace. */
const lightningDir = path.join(here, 'src', 'lightning');
/** The design system's share every component without a stylesheet of its own gets. */
const sldsCss = path.join(here, 'src', 'slds.css');

/** The component a file belongs to: {namespace, name, dir}, or null outside the component folders. */
function componentOf(file) {
    for (const [namespace, dir] of [['c', componentsDir], ['lightning', lightningDir]]) {
        const rel = path.relative(dir, file);
        if (!rel.startsWith('..') && !path.isAbsolute(rel) && rel.includes(path.sep)) {
            const name = rel.split(path.sep)[0];
            return { namespace, name, dir: path.join(dir, name) };
        }
    }
    return null;
}

/** The API version a component's metadata declares (62.0 → 62), else the compiler's default. */
function apiVersion(component) {
    const meta = path.join(component.dir, component.name + '.js-meta.xml');
    const declared = existsSync(meta) && /<apiVersion>(\d+)(?:\.\d+)?<\/apiVersion>/.exec(readFileSync(meta, 'utf8'));
    return declared ? Number(declared[1]) : undefined;
}

/** A path as the compiler and the bundle's comments see it: relative to the repository, so the
 * output does not depend on where the checkout is. */
function repoPath(file) {
    return path.relative(root, file).split(path.sep).join('/');
}

function compile(source, file, component) {
    const options = { namespace: component.namespace, name: component.name };
    const version = apiVersion(component);
    if (version) {
        options.apiVersion = version;
    }
    try {
        return transformSync(source, repoPath(file), options).code;
    } catch (e) {
        throw new Error(`LWC compiler: ${repoPath(file)}: ${e.message}`);
    }
}

const lwcPlugin = {
    name: 'lwc',
    setup(b) {
        b.onResolve({ filter: /^c\/\w+$/ }, (args) => {
            const name = args.path.slice(2);
            return { path: path.join(componentsDir, name, name + '.js') };
        });
        b.onResolve({ filter: /^lightning\/\w+$/ }, (args) => {
            const name = args.path.slice('lightning/'.length);
            const file = path.join(lightningDir, name, name + '.js');
            if (!existsSync(file)) {
                return { errors: [{ text: `the stand-in has no ${args.path} (add src/lightning/${name}/)` }] };
            }
            return { path: file };
        });
        b.onResolve({ filter: /^@salesforce\/messageChannel\/\w+$/ }, (args) => ({
            path: args.path.slice('@salesforce/messageChannel/'.length),
            namespace: 'sf-channel'
        }));
        b.onLoad({ filter: /.*/, namespace: 'sf-channel' }, (args) => ({
            contents: `export default ${JSON.stringify(args.path)};\n`,
            loader: 'js'
        }));
        b.onResolve({ filter: /^@salesforce\/apex\/\w+\.\w+$/ }, (args) => ({
            path: args.path.slice('@salesforce/apex/'.length),
            namespace: 'sf-apex'
        }));
        b.onLoad({ filter: /.*/, namespace: 'sf-apex' }, (args) => {
            const [apexClass, method] = args.path.split('.');
            return {
                contents: `import { apex } from './apex.js';\nexport default apex(${JSON.stringify(apexClass)}, ${JSON.stringify(method)});\n`,
                resolveDir: path.join(here, 'src', 'salesforce'),
                loader: 'js'
            };
        });
        // A component's implicit template and stylesheets: the compiler imports them whether they
        // exist or not (Salesforce gives a component without them an empty one).
        b.onResolve({ filter: /\.(html|css)(\?scoped=true)?$/ }, (args) => {
            // An implicit template's own imports come from a module of this namespace (its path is
            // relative to the repository).
            const importer = args.namespace === 'lwc-implicit' ? path.join(root, args.importer) : args.importer;
            const component = componentOf(importer);
            if (!component) {
                return undefined;
            }
            const [bare] = args.path.split('?');
            const file = path.join(args.resolveDir, bare);
            if (existsSync(file)) {
                return { path: file };
            }
            const scoped = args.path.endsWith('?scoped=true');
            const kind = bare.endsWith('.html') ? 'template' : scoped || component.namespace !== 'c' ? 'none' : 'slds';
            return { path: repoPath(file), namespace: 'lwc-implicit', pluginData: { component, kind } };
        });
        b.onLoad({ filter: /.*/, namespace: 'lwc-implicit' }, (args) => {
            const { component, kind } = args.pluginData;
            const file = path.join(root, args.path);
            const contents =
                kind === 'template'
                    ? compile('<template></template>', file, component)
                    : kind === 'slds'
                      ? compile(readFileSync(sldsCss, 'utf8'), file, component)
                      : 'export default undefined;\n';
            return { contents, resolveDir: path.dirname(file), loader: 'js' };
        });
        // Every module of a component folder goes through the LWC compiler, as on Salesforce.
        b.onLoad({ filter: /\.(js|html|css)$/ }, async (args) => {
            const component = componentOf(args.path);
            if (!component) {
                return undefined;
            }
            const source = await readFile(args.path, 'utf8');
            return { contents: compile(source, args.path, component), loader: 'js' };
        });
    }
};

const result = await build({
    absWorkingDir: here,
    entryPoints: ['src/main.js'],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    charset: 'utf8',
    legalComments: 'eof',
    minify: false,
    sourcemap: false,
    write: false,
    logLevel: 'warning',
    alias: { lwc: '@lwc/engine-dom' },
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [lwcPlugin],
    banner: {
        js: `/* The Salesforce Voice stand-in host's Lightning side. Generated by scripts/build-js from lightning-standin/ and
 * salesforce/voice-app/main/default/lwc/: do not edit. Contains the LWC engine and compiler output ${lwcVersion} (MIT). */`
    }
});
const bytes = Buffer.from(result.outputFiles[0].contents);
const shown = path.relative(root, target);

if (process.argv.includes('--check')) {
    const committed = await readFile(target).catch(() => Buffer.alloc(0));
    if (!committed.equals(bytes)) {
        console.error(`build-js: ${shown} differs from a rebuild of lightning-standin/ and the components (${committed.length} vs ${bytes.length} bytes): run scripts/build-js and commit the result`);
        process.exit(1);
    }
    console.log(`build-js: ${shown} matches its sources (${bytes.length} bytes)`);
} else {
    await writeFile(target, bytes);
    console.log(`build-js: wrote ${shown} (${bytes.length} bytes)`);
}
