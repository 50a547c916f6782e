import Testing

@testable import Cron

/// An expression is parsed again inside the store's write transaction (the
/// cron index), so its cost is every project's wait: a megabytes-long
/// list of nth weekdays (`0-6#5,0-6#5,…`) kept every repetition and checked
/// each day of 28 model months against all of them, minutes of CPU while
/// the writer was held (session 25's review).
@Suite struct ExpressionSizeTests {
    @Test func aRepeatedNthWeekdayListKeepsEachRuleOnce() throws {
        let repeated = "* * * * " + Array(repeating: "0-6#5", count: 600).joined(separator: ",")
        #expect(repeated.utf8.count <= CronExpression.maxLength)
        let expression = try CronExpression(repeated)
        #expect(expression.dayRules?.extensions.nthWeekdays.count == 7)
        #expect(expression.sameSchedule(as: try CronExpression("* * * * 0-6#5")))
    }

    @Test func anExpressionOverTheLimitIsRefusedNamingItsLength() throws {
        let longest = "* * * * *" + String(repeating: " ", count: CronExpression.maxLength - 9)
        #expect(try CronExpression(longest).sameSchedule(as: try CronExpression("* * * * *")))
        let tooLong = longest + " "
        #expect(throws: CronError.tooLong(bytes: CronExpression.maxLength + 1, limit: CronExpression.maxLength)) {
            try CronExpression(tooLong)
        }
        #expect(CronError.tooLong(bytes: 4_097, limit: 4_096).description.contains("4097 bytes"))
    }
}
