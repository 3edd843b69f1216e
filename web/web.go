// Package web holds the demo pages the reference meeting service serves: the
// lobby (static/index.html), the meeting page (static/room.html) and their
// scripts and styles. They are plain HTML, CSS and JavaScript modules with no
// build step, embedded so the service binary carries them.
package web

import "embed"

// Static is the demo page tree; paths start with "static/". The meeting
// service serves "/" from static/index.html, "/room/{meeting}" from
// static/room.html and any other file by its path under static/.
//
//go:embed static
var Static embed.FS
