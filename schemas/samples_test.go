package schemas

// Hand-written, realistic, valid OneRoster 1.1 records, one per entity.
var validSamples = map[string]string{
	"org": `{
		"sourcedId": "org-5f3c0a",
		"status": "active",
		"dateLastModified": "2024-08-15T10:21:07.512Z",
		"metadata": {"ncesDistrictId": "0601234"},
		"name": "Escuela Primaria Niños Héroes",
		"type": "school",
		"identifier": "060123401234",
		"parent": {"href": "https://sis.example.org/ims/oneroster/v1p1/orgs/district-1", "sourcedId": "district-1", "type": "org"},
		"children": [
			{"href": "https://sis.example.org/ims/oneroster/v1p1/orgs/dept-math", "sourcedId": "dept-math", "type": "org"}
		]
	}`,
	"academicSession": `{
		"sourcedId": "term-2024-fall",
		"status": "active",
		"dateLastModified": "2024-06-30T23:59:59+02:00",
		"title": "Fall 2024",
		"startDate": "2024-08-19",
		"endDate": "2024-12-20",
		"type": "term",
		"schoolYear": "2025",
		"parent": {"href": "/academicSessions/sy-2025", "sourcedId": "sy-2025", "type": "academicSession"},
		"children": [
			{"href": "/gradingPeriods/gp-2024-q1", "sourcedId": "gp-2024-q1", "type": "gradingPeriod"},
			{"href": "/gradingPeriods/gp-2024-q2", "sourcedId": "gp-2024-q2", "type": "gradingPeriod"}
		]
	}`,
	"course": `{
		"sourcedId": "course-alg1",
		"status": "tobedeleted",
		"dateLastModified": "2024-08-15T10:21:07Z",
		"title": "Algebra I",
		"schoolYear": {"href": "/academicSessions/sy-2025", "sourcedId": "sy-2025", "type": "academicSession"},
		"courseCode": "MATH-101",
		"grades": ["08", "09"],
		"subjects": ["Mathematics"],
		"org": {"href": "/orgs/org-5f3c0a", "sourcedId": "org-5f3c0a", "type": "org"},
		"subjectCodes": ["02052"],
		"resources": [{"href": "/resources/res-1", "sourcedId": "res-1", "type": "resource"}]
	}`,
	"class": `{
		"sourcedId": "class-alg1-p3",
		"status": "active",
		"dateLastModified": "2024-08-15T10:21:07.5Z",
		"title": "Algebra I — Period 3",
		"classCode": "ALG1-3",
		"classType": "scheduled",
		"location": "Room 214",
		"grades": ["09"],
		"subjects": ["Mathematics"],
		"course": {"href": "/courses/course-alg1", "sourcedId": "course-alg1", "type": "course"},
		"school": {"href": "/schools/org-5f3c0a", "sourcedId": "org-5f3c0a", "type": "org"},
		"terms": [{"href": "/terms/term-2024-fall", "sourcedId": "term-2024-fall", "type": "term"}],
		"subjectCodes": ["02052"],
		"periods": ["3"],
		"resources": []
	}`,
	"user": `{
		"sourcedId": "user-8d1e",
		"status": "active",
		"dateLastModified": "2024-08-15T10:21:07.512-05:00",
		"metadata": {"microsoft.userFlags": "freeLunch,ELL", "custom": {"nested": [1, null, true]}},
		"username": "zoe.lefevre",
		"userIds": [{"type": "LDAP", "identifier": "zlefevre"}, {"type": "SIS", "identifier": "200117"}],
		"enabledUser": "true",
		"givenName": "Zoë",
		"familyName": "Lefèvre-Øster",
		"middleName": "Ana",
		"role": "student",
		"identifier": "200117",
		"email": "zoe.lefevre+class@students.example.org",
		"sms": "+15555550123",
		"phone": "+1 (555) 555-0100",
		"agents": [{"href": "/users/user-parent-1", "sourcedId": "user-parent-1", "type": "user"}],
		"orgs": [{"href": "/orgs/org-5f3c0a", "sourcedId": "org-5f3c0a", "type": "org"}],
		"grades": ["09"],
		"password": ""
	}`,
	"enrollment": `{
		"sourcedId": "enr-1",
		"status": "active",
		"dateLastModified": "2024-08-15T10:21:07Z",
		"user": {"href": "/users/user-teacher-1", "sourcedId": "user-teacher-1", "type": "user"},
		"class": {"href": "/classes/class-alg1-p3", "sourcedId": "class-alg1-p3", "type": "class"},
		"school": {"href": "/schools/org-5f3c0a", "sourcedId": "org-5f3c0a", "type": "org"},
		"role": "teacher",
		"primary": "false",
		"beginDate": "2024-08-19",
		"endDate": "2024-12-20"
	}`,
	"demographics": `{
		"sourcedId": "user-8d1e",
		"status": "active",
		"dateLastModified": "2024-08-15T10:21:07Z",
		"birthDate": "2010-02-28",
		"sex": "female",
		"americanIndianOrAlaskaNative": "false",
		"asian": "false",
		"blackOrAfricanAmerican": "false",
		"nativeHawaiianOrOtherPacificIslander": "false",
		"white": "true",
		"demographicRaceTwoOrMoreRaces": "false",
		"hispanicOrLatinoEthnicity": "true",
		"countryOfBirthCode": "US",
		"stateOfBirthAbbreviation": "CA",
		"cityOfBirth": "San José",
		"publicSchoolResidenceStatus": "01652"
	}`,
	"category": `{
		"sourcedId": "cat-homework",
		"status": "active",
		"dateLastModified": "2024-08-15T10:21:07Z",
		"metadata": {"classId": "class-alg1-p3"},
		"title": "Homework"
	}`,
	"lineItem": `{
		"sourcedId": "li-42",
		"status": "active",
		"dateLastModified": "2024-09-01T08:00:00Z",
		"title": "Quiz 1: linear equations",
		"description": "Ten questions, 20 minutes",
		"assignDate": "2024-09-02",
		"dueDate": "2024-09-09T23:59:00.000Z",
		"class": {"href": "/classes/class-alg1-p3", "sourcedId": "class-alg1-p3", "type": "class"},
		"category": {"href": "/categories/cat-homework", "sourcedId": "cat-homework", "type": "category"},
		"gradingPeriod": {"href": "/gradingPeriods/gp-2024-q1", "sourcedId": "gp-2024-q1", "type": "gradingPeriod"},
		"resultValueMin": 0,
		"resultValueMax": 100.0
	}`,
	"result": `{
		"sourcedId": "res-42-8d1e",
		"status": "active",
		"dateLastModified": "2024-09-10T12:00:00Z",
		"lineItem": {"href": "/lineItems/li-42", "sourcedId": "li-42", "type": "lineItem"},
		"student": {"href": "/students/user-8d1e", "sourcedId": "user-8d1e", "type": "student"},
		"scoreStatus": "fully graded",
		"score": 87.5,
		"scoreDate": "2024-09-10T11:58:31.041Z",
		"comment": "Très bien !"
	}`,
	"resource": `{
		"sourcedId": "res-1",
		"status": "active",
		"dateLastModified": "2024-08-15T10:21:07Z",
		"title": "Algebra I eText",
		"roles": ["student", "teacher"],
		"importance": "primary",
		"vendorResourceId": "ISBN-9780000000000",
		"vendorId": "vendor-42",
		"applicationId": "app-7"
	}`,
}
