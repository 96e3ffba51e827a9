package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/app"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/config"
)

func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, "Usage: crn admin create-user --username U --email E --password P --role admin|moderator|staff|member")
		if len(args) == 0 {
			return usageErr("admin needs a subcommand: create-user")
		}
		return nil
	}
	switch args[0] {
	case "create-user":
		return runCreateUser(ctx, args[1:], stdout, stderr)
	}
	return usageErr("unknown admin subcommand %q (want create-user)", args[0])
}

func runCreateUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("admin create-user --username U --email E --password P --role R [flags]",
		`Create an account, e.g. the first administrator. The password may also come
from CRN_ADMIN_PASSWORD so it stays out of shell history.`, stderr)
	username := fs.String("username", "", "username (3-30 letters, digits, '_', '.', '-')")
	email := fs.String("email", "", "email address")
	password := fs.String("password", "", "password (or env CRN_ADMIN_PASSWORD)")
	role := fs.String("role", "member", "admin, moderator, staff or member")
	display := fs.String("display-name", "", "display name (defaults to the username)")
	externalID := fs.String("external-id", "", "the customer's id in your CRM")
	crm := fs.String("crm", "", `CRM attributes as a JSON object, e.g. '{"company":"Acme","plan":"pro"}'`)
	cfg, err := config.LoadEnv(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if *password == "" {
		*password = os.Getenv("CRN_ADMIN_PASSWORD")
	}
	var attrs map[string]any
	if *crm != "" {
		if err := json.Unmarshal([]byte(*crm), &attrs); err != nil {
			return usageErr("--crm must be a JSON object: %v", err)
		}
	}
	a, err := app.Build(ctx, cfg, app.NewLogger(cfg, os.Stderr), app.Options{Migrate: cfg.MigrateOnStart})
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.Accounts.CreateUser(ctx, account.NewUser{
		Username: *username, Email: *email, Password: *password, Role: *role, DisplayName: *display,
	})
	if err != nil {
		return describe(err)
	}
	if *externalID != "" || attrs != nil {
		link := account.CRMLink{Attributes: attrs}
		if *externalID != "" {
			link.ExternalID = externalID
		}
		if u, err = a.Accounts.LinkCRM(ctx, u.ID, link); err != nil {
			return describe(err)
		}
	}
	fmt.Fprintf(stdout, "created %s %q (id %d)\n", u.Role, u.Username, u.ID)
	return nil
}

// describe spells out a service error for a terminal, field by field.
func describe(err error) error {
	ae := apperr.As(err)
	if ae == nil || ae.Kind == apperr.KindInternal {
		return err
	}
	msg := ae.Message
	for f, p := range ae.Fields {
		msg += fmt.Sprintf("\n  %s %s", f, p)
	}
	return errors.New(msg)
}

// flagErr passes --help through and marks other flag errors as usage errors.
func flagErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return fmt.Errorf("%w: %v", errUsage, err)
}
