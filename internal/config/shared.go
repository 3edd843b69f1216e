package config

import (
	"errors"
	"fmt"
	"io"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"gopkg.in/yaml.v3"
)

// DecodeFile decodes the YAML file at path into out, refusing unknown keys
// so a misspelt setting is an error rather than silently ignored. An empty
// file leaves out as it is. The node and cmd/meetingd share it.
func DecodeFile(path string, out any) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	return nil
}

// Validate checks the format and level.
func (l Log) Validate() error {
	if l.Format != "json" && l.Format != "console" {
		return fmt.Errorf("log.format must be json or console, got %q", l.Format)
	}
	if _, err := zapcore.ParseLevel(l.Level); err != nil {
		return fmt.Errorf("log.level: %w", err)
	}
	return nil
}

// NewLogger builds the zap logger l describes: console (development
// encoder) or json (production encoder) at l.Level.
func (l Log) NewLogger() (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(l.Level)
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	zc := zap.NewProductionConfig()
	if l.Format == "console" {
		zc = zap.NewDevelopmentConfig()
	}
	zc.Level = zap.NewAtomicLevelAt(lvl)
	return zc.Build()
}
