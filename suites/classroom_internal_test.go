package suites

import (
	"testing"
	"time"
)

// Classroom's latency_report prints response.elapsed.microseconds / 1000:
// the microseconds field of a timedelta, whole seconds dropped. The table
// shows both figures.
func TestClassroomLatencyFigures(t *testing.T) {
	for _, c := range []struct {
		d             time.Duration
		true, printed float64
	}{
		{250 * time.Millisecond, 250, 250},
		{1250 * time.Millisecond, 1250, 250},
		{3*time.Second + 1500*time.Microsecond, 3001.5, 1.5},
		{2 * time.Second, 2000, 0},
	} {
		r := LatencyRow{Duration: c.d}
		if r.Millis() != c.true || r.ConsumerMillis() != c.printed {
			t.Errorf("%v: %.3f ms (Classroom prints %.3f), want %.3f (%.3f)", c.d, r.Millis(), r.ConsumerMillis(), c.true, c.printed)
		}
	}
	var nilTable *ConsumerLatency
	nilTable.add(LatencyRow{}) // a run without google-classroom keeps no table
	if nilTable.Rows() != nil {
		t.Error("nil table has rows")
	}
}
