package authkit

import (
	"reflect"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
)

func codecSample() (time.Time, map[string]any) {
	at := time.UnixMicro(time.Now().UnixMicro())
	return at.Add(12 * time.Hour), map[string]any{
		sessionKey: sessionState{
			UserID: 42, Remembered: true, RememberSelector: "sel", PasswordAt: at,
			Pending:   &pendingLogin{AttemptID: "att", UserID: 42, ExpiresAt: at.Add(5 * time.Minute)},
			CreatedAt: at.Add(-time.Hour), LastActive: at,
		},
		"cart":  []string{"book"},
		"flash": "saved",
	}
}

func TestSessionCodec_RoundTripsAuthkitsStateAndTheAppsValues(t *testing.T) {
	t.Parallel()
	deadline, values := codecSample()
	for _, vs := range []map[string]any{values, {sessionKey: values[sessionKey]}, {"flash": "only the app's"}, {}} {
		b, err := sessionCodec{}.Encode(deadline, vs)
		if err != nil {
			t.Fatal(err)
		}
		gotDeadline, got, err := sessionCodec{}.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if !gotDeadline.Equal(deadline) {
			t.Errorf("deadline %v, want %v", gotDeadline, deadline)
		}
		if st, ok := got[sessionKey].(sessionState); ok {
			want := vs[sessionKey].(sessionState)
			if st.UserID != want.UserID || st.RememberSelector != want.RememberSelector || !st.Remembered ||
				!st.PasswordAt.Equal(want.PasswordAt) || !st.CreatedAt.Equal(want.CreatedAt) || !st.LastActive.Equal(want.LastActive) ||
				st.Pending == nil || st.Pending.AttemptID != "att" || !st.Pending.ExpiresAt.Equal(want.Pending.ExpiresAt) {
				t.Errorf("state %+v, want %+v", st, want)
			}
			delete(got, sessionKey)
		} else if _, had := vs[sessionKey]; had {
			t.Error("the state was lost")
		}
		for k, v := range vs {
			if k != sessionKey && !reflect.DeepEqual(got[k], v) {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
	}
}

func TestSessionCodec_ReadsGobSessionsWrittenBeforeIt(t *testing.T) {
	t.Parallel()
	deadline, values := codecSample()
	old, err := scs.GobCodec{}.Encode(deadline, values)
	if err != nil {
		t.Fatal(err)
	}
	gotDeadline, got, err := sessionCodec{}.Decode(old)
	if err != nil || !gotDeadline.Equal(deadline) || got[sessionKey].(sessionState).UserID != 42 || got["flash"] != "saved" {
		t.Fatalf("decoding a gob session: %v %v %v", gotDeadline, got, err)
	}
	compact, _ := sessionCodec{}.Encode(deadline, map[string]any{sessionKey: values[sessionKey]})
	gob, _ := scs.GobCodec{}.Encode(deadline, map[string]any{sessionKey: values[sessionKey]})
	if len(compact)*4 > len(gob) {
		t.Errorf("compact state is %d bytes, gob %d", len(compact), len(gob))
	}
}

func TestSessionCodec_MalformedDataIsAnErrorNotAPanic(t *testing.T) {
	t.Parallel()
	deadline, values := codecSample()
	b, _ := sessionCodec{}.Encode(deadline, values)
	for i := len(codecMagic); i < len(b); i++ {
		sessionCodec{}.Decode(b[:i]) // must not panic
	}
	if _, _, err := (sessionCodec{}).Decode(append(append([]byte{}, codecMagic...), 0x01, 0xff)); err == nil {
		t.Fatal("a truncated session decoded")
	}
}

func FuzzSessionCodec_Decode(f *testing.F) {
	deadline, values := codecSample()
	b, _ := sessionCodec{}.Encode(deadline, values)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		sessionCodec{}.Decode(b) // must not panic
	})
}
