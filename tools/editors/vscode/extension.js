// The Crosswalk extension: starts `crosswalk lsp` for .cw files (tools/crosswalk/lsp/server.h says what
// it answers). Plain JavaScript, no build step: `npm install` in this folder, then run VS Code with
// --extensionDevelopmentPath=<this folder> (docs/editors.md).
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration('crosswalk');
  const command = config.get('serverPath') || 'crosswalk';
  // The stdio transport adds --stdio to the arguments; `crosswalk lsp` accepts it.
  const serverOptions = { command, args: ['lsp'], transport: TransportKind.stdio };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'crosswalk' },
      { scheme: 'untitled', language: 'crosswalk' },
    ],
    initializationOptions: {
      includeDirs: config.get('includeDirs') || [],
      warnUndeclaredZSegments: config.get('warnUndeclaredZSegments') !== false,
    },
  };
  client = new LanguageClient('crosswalk', 'Crosswalk', serverOptions, clientOptions);
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
